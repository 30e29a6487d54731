"""The feature math for one deal at one instant, from its preloaded records.

Only records valid *and* recorded at or before the instant are looked at, so the result
is what Keel knew then. Unknown is kept apart from "no": signal features are NaN until
at least one extracted activity is known.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from memory.models import CLOSED_STAGES, CORE_FIELDS
from scoring.events import Close, DealEvents, OrgEvents
from scoring.signals import (
    SENIORITY_RANK,
    as_bool,
    names_of,
    payload_at,
    risk_category,
    seniority_of,
)
from scoring.sqlfast import EPSILON

DAY = 86400.0
NAN = float("nan")
FORECAST_RANK = {"omitted": 0.0, "pipeline": 1.0, "best_case": 2.0, "commit": 3.0}
EXCLUDED_CUSTOM = frozenset({"loss_reason", "closed_reason", "win_reason", "close_reason"})
"""Custom fields that only describe the outcome: never features (they would leak it)."""


@dataclass
class RepHistory:
    """Closes known over time, per owner and org-wide, for rep win rates as of an instant."""

    times: list[float] = field(default_factory=list)
    wins: list[int] = field(default_factory=list)
    by_owner: dict[str, tuple[list[float], list[int]]] = field(default_factory=dict)

    @classmethod
    def from_closes(cls, closes: list[Close]) -> RepHistory:
        """Index closes (sorted by known time) cumulatively."""
        h = cls()
        for c in closes:
            h.times.append(c.known)
            h.wins.append((h.wins[-1] if h.wins else 0) + int(c.won))
            if c.owner is not None:
                t, w = h.by_owner.setdefault(str(c.owner), ([], []))
                t.append(c.known)
                w.append((w[-1] if w else 0) + int(c.won))
        return h

    def at(self, owner: str | None, t: float) -> tuple[float, float]:
        """``(smoothed rep win rate, rep closed deals)`` from closes known by ``t``."""
        n_all = bisect_right(self.times, t)
        org_rate = (self.wins[n_all - 1] + 1.0) / (n_all + 3.0) if n_all else 0.25
        if owner is None or owner not in self.by_owner:
            return org_rate, 0.0
        times, wins = self.by_owner[owner]
        n = bisect_right(times, t)
        won = wins[n - 1] if n else 0
        return (won + 5.0 * org_rate) / (n + 5.0), float(n)


@lru_cache(maxsize=64)
def _stage_info(stages: tuple[str, ...]) -> tuple[dict[str, int], int]:
    """Rank of each stage and the number of open stages (cached: one org, many deals).

    Callers must not mutate the returned dict.
    """
    return {s: i for i, s in enumerate(stages)}, len([s for s in stages if s not in CLOSED_STAGES])


_HISTORY_FIELDS = ("stage", "close_date", "amount")
"""The fields whose history features look at (others only count as of the instant)."""


def _fields_at(
    ev: DealEvents, t: float
) -> tuple[dict[str, Any], dict[str, list[tuple[float, Any]]]]:
    """Effective fields at ``t`` and the de-duplicated history of stage, close date, amount."""
    current: dict[str, Any] = {}
    history: dict[str, list[tuple[float, Any]]] = {name: [] for name in _HISTORY_FIELDS}
    tracked = history.get
    for valid, recorded, _cid, name, value in ev.changes:
        if valid > t:
            break
        if recorded > t:
            continue
        current[name] = value
        entries = tracked(name)
        if entries is None:
            continue
        if entries and entries[-1][0] == valid:
            entries[-1] = (valid, value)  # a correction of the same instant
        else:
            entries.append((valid, value))
    for entries in history.values():
        if len(entries) > 1:
            entries[:] = [e for i, e in enumerate(entries) if i == 0 or entries[i - 1][1] != e[1]]
    return current, history


def _velocity(
    f: dict[str, Any],
    hist: dict[str, list[tuple[float, Any]]],
    t: float,
    ranks: dict[str, int],
    n_open: int,
) -> dict[str, Any]:
    stages = hist.get("stage", [])
    stage = f.get("stage")
    regressions = 0
    for (_, a), (_, b) in zip(stages, stages[1:], strict=False):
        if a not in CLOSED_STAGES and ranks.get(str(b), 0) < ranks.get(str(a), 0):
            regressions += 1
    closes = hist.get("close_date", [])
    pushes, push_days = 0, 0.0
    for (_, a), (_, b) in zip(closes, closes[1:], strict=False):
        if a and b and str(b)[:10] > str(a)[:10]:
            pushes += 1
            push_days += (_day(b) - _day(a)) / DAY
    amounts = [(v, a) for v, a in hist.get("amount", []) if _num(a) is not None]
    amount = _num(f.get("amount"))
    pct = NAN
    if len(amounts) >= 2 and _num(amounts[0][1]):
        first = float(amounts[0][1])
        pct = (float(amounts[-1][1]) - first) / first
    close = f.get("close_date")
    rank = ranks.get(str(stage)) if stage is not None else None
    return {
        "stage_index": (rank / max(n_open - 1, 1)) if rank is not None and rank < n_open else NAN,
        "days_in_stage": (t - stages[-1][0]) / DAY if stages else NAN,
        "stage_transitions": float(max(len(stages) - 1, 0)),
        "stage_regressions": float(regressions),
        "close_date_pushes": float(pushes),
        "close_push_days": push_days,
        "days_to_close_date": (_day(close) - t) / DAY if close else NAN,
        "forecast_rank": FORECAST_RANK.get(str(f.get("forecast_category")), NAN),
        "amount_log": math.log1p(amount) if amount is not None and amount >= 0 else NAN,
        "amount_changes": float(max(len(amounts) - 1, 0)),
        "amount_change_pct": pct,
    }


def _day(value: Any) -> float:
    return _day_of(str(value)[:10])


@lru_cache(maxsize=8192)
def _day_of(text: str) -> float:
    """Midnight UTC of an ISO date (NaN if not one); cached: close dates repeat a lot."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return NAN


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


@lru_cache(maxsize=8192)
def _top_seniority(titles: tuple[str, ...]) -> int:
    """Highest seniority rank among buyer job titles (cached: lists repeat per deal)."""
    return max((SENIORITY_RANK.get(seniority_of(t) or "", 0) for t in titles), default=0)


def _activity_features(ev: DealEvents, t: float, backfill: bool) -> dict[str, Any]:
    """Engagement from who took part, plus every signal feature, in one pass."""
    n_act = n_buyer = n_conv = n_in = n_out_since = n_30 = n_sig = 0
    last_buyer: float | None = None
    last_sig: float | None = None
    engaged: set[str] = set()
    engaged_14d: set[str] = set()
    top_engaged = 0
    mentioned: set[str] = set()
    champ_rank = champ_mentions = 0
    champ_last: float | None = None
    eb_known = eb_engaged = bc = pricing = False
    bc_early: bool | None = None
    competitors: set[str] = set()
    risks: set[str] = set()
    risk_cats: set[str] = set()
    next_last: float = NAN
    next_30 = False
    month_ago = t - 30 * DAY
    first_14d = ev.created + 14 * DAY
    signals_of = ev.signals.get
    for a in ev.activities:
        occurred = a.occurred
        if occurred > t:
            break
        if a.recorded > t:
            continue
        n_act += 1
        kind = a.kind
        # ActivityRow.is_buyer_activity / is_conversation, inlined (hot loop)
        talk = kind in ("call", "meeting")
        conversation = talk and bool(a.buyers)
        if conversation if talk else a.direction == "inbound":
            n_buyer += 1
            last_buyer = occurred
            n_out_since = 0
            if occurred > month_ago:
                n_30 += 1
            engaged.update(a.buyers)
            if occurred < first_14d:
                engaged_14d.update(a.buyers)
            if a.buyer_titles:
                top = _top_seniority(a.buyer_titles)
                if top > top_engaged:
                    top_engaged = top
        elif kind == "email" and a.direction == "outbound":
            n_out_since += 1
        if conversation:
            n_conv += 1
        if kind == "email" and a.direction == "inbound":
            n_in += 1
        versions = signals_of(a.activity_id)
        if not versions:
            continue
        p: dict[str, Any] | None
        if len(versions) == 1:  # payload_at() of one extraction, inlined (most activities)
            recorded, p = versions[0]
            if recorded > t and not backfill:
                continue
        else:
            p = payload_at(versions, t, backfill=backfill)
        if p is None:
            continue
        n_sig += 1
        last_sig = occurred
        champ = p.get("champion")
        if isinstance(champ, dict) and champ.get("name"):
            rank = SENIORITY_RANK.get(
                seniority_of(champ.get("title"), champ.get("seniority")) or "", 0
            )
            if rank > champ_rank:
                champ_rank = rank
            champ_mentions += 1
            champ_last = occurred
            mentioned.add(str(champ["name"]))
        eb = p.get("economic_buyer")
        if isinstance(eb, dict) and eb.get("name"):
            eb_known = True
            mentioned.add(str(eb["name"]))
        # as_bool() is called only for values other than True/False/None (rare)
        if not eb_engaged:
            v = p.get("economic_buyer_engaged")
            eb_engaged = v is True or (v is not False and v is not None and as_bool(v))
        if not bc:
            v = p.get("business_case_shared")
            if v is True or (v is not False and v is not None and as_bool(v)):
                bc = True
                bc_early = n_conv - (1 if conversation else 0) < 3
        if not pricing:
            v = p.get("pricing_discussed")
            pricing = v is True or (v is not False and v is not None and as_bool(v))
        # names_of() of an empty list is empty: skip the call (most payloads)
        if named := p.get("competitors"):
            competitors.update(names_of(named))
        if named := p.get("stakeholders"):  # names_of(), inlined (most payloads have some)
            for item in named:
                name = item.get("name") if isinstance(item, dict) else item
                if isinstance(name, str) and (name := name.strip()):
                    mentioned.add(name)
        if named := p.get("risks"):
            for r in names_of(named):
                risks.add(r.lower())
                risk_cats.add(risk_category(r))
        v = p.get("next_meeting_scheduled")
        nxt = v is True or (v is not False and v is not None and as_bool(v))
        if conversation or kind == "email":
            next_last = float(nxt)
        if nxt and occurred > month_ago:
            next_30 = True
    known = n_sig > 0
    age = max(t - ev.created, 0.0)

    def sig(value: float) -> float:
        return value if known else NAN

    return {
        "activities": float(n_act),
        "buyer_activities": float(n_buyer),
        "conversations": float(n_conv),
        "inbound_emails": float(n_in),
        "buyer_activities_30d": float(n_30),
        "days_since_buyer_activity": (t - (last_buyer if last_buyer is not None else ev.created))
        / DAY,
        "unanswered_followups": float(n_out_since),
        "buyer_activity_rate": n_buyer / max(age / (30 * DAY), 0.5),
        "engaged_stakeholders": float(len(engaged)),
        "engaged_stakeholders_14d": float(len(engaged_14d)),
        "top_engaged_seniority": float(top_engaged),
        "extracted_activities": float(n_sig),
        "days_since_signal": (t - last_sig) / DAY if last_sig is not None else NAN,
        "champion_identified": sig(float(champ_rank > 0)),
        "champion_seniority": sig(float(champ_rank)),
        "champion_mentions": sig(float(champ_mentions)),
        "days_since_champion": (t - champ_last) / DAY if champ_last is not None else NAN,
        "champion_left": sig(float("champion_left" in risk_cats)),
        "eb_identified": sig(float(eb_known)),
        "eb_engaged": sig(float(eb_engaged)),
        "business_case_shared": sig(float(bc)),
        "business_case_early": sig(float(bool(bc_early))),
        "pricing_discussed": sig(float(pricing)),
        "budget_risk": sig(float("budget" in risk_cats)),
        "competitors_count": sig(float(len(competitors))),
        "competitor": sorted(competitors),
        "stakeholders_mentioned": sig(float(len(mentioned))),
        "risks_count": sig(float(len(risks))),
        "next_meeting_last": next_last if known else NAN,
        "next_meeting_30d": sig(float(next_30)),
    }


def deal_features_at(
    ev: DealEvents, t: float, org: OrgEvents, reps: RepHistory, *, backfill: bool = True
) -> dict[str, Any]:
    """Every feature of one deal as Keel knew it at ``t`` (seconds since the epoch).

    Keys starting with ``_`` are not model features: ``_stage`` (the stage then, for the
    stage baseline and reports), ``_owner``, ``_open`` (False once closed at ``t``).
    """
    t = t + EPSILON  # records at exactly ``t`` count, whatever the float rounding
    ranks, n_open = _stage_info(tuple(org.stages))
    f, hist = _fields_at(ev, t)
    row: dict[str, Any] = {"age_days": max(t - ev.created, 0.0) / DAY}
    row.update(_velocity(f, hist, t, ranks, n_open))
    row.update(_activity_features(ev, t, backfill))
    owner = f.get("owner_id")
    rate, n = reps.at(str(owner) if owner is not None else None, t)
    row["rep_win_rate"], row["rep_closed_deals"] = rate, n
    row["currency"] = str(f["currency"]) if f.get("currency") else None
    account = org.accounts.get(ev.account_id)
    if account is not None and account[3] <= t:
        row["segment"], row["industry"], row["region"] = account[0], account[1], account[2]
    for name, value in f.items():
        if name in CORE_FIELDS or name in EXCLUDED_CUSTOM:
            continue
        if isinstance(value, bool):
            row[f"crm:{name}"] = float(value)
        elif (num := _num(value)) is not None:
            row[f"crm:{name}"] = num
        elif isinstance(value, str) and value.strip():
            row[f"crm:{name}"] = value.strip()
    stage = f.get("stage")
    row["_stage"] = str(stage) if stage is not None else None
    row["_owner"] = str(owner) if owner is not None else None
    row["_open"] = stage not in CLOSED_STAGES
    return row
