"""One record per deal with everything pattern mining looks at, as Keel knew it then.

Built from the bulk loaders of :mod:`scoring.events` (no per-deal queries) in a single pass
over each deal's activities: categorical factors for win/loss tests, first-two-weeks
behaviours for rep comparisons, and the timeline of stall conditions with the dark period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from memory.models import CORE_FIELDS, User
from scoring.deal_features import EXCLUDED_CUSTOM
from scoring.events import DealEvents, load_deals, load_org
from scoring.signals import (
    SENIORITY_RANK,
    SENIORITY_WORDS,
    as_bool,
    names_of,
    payload_at,
    risk_category,
    seniority_of,
)

DAY = 86400.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_CUSTOM_LEVELS = 12


@dataclass
class DealRecord:
    """What pattern mining needs about one deal (times are epoch seconds)."""

    deal_id: str
    owner: str | None
    created: float
    won: bool | None
    closed_at: float | None
    amount: float
    factors: dict[str, str] = field(default_factory=dict)
    competitors: tuple[str, ...] = ()
    behaviours: dict[str, bool] = field(default_factory=dict)
    dark_from: float | None = None
    stall_matches: dict[str, float] = field(default_factory=dict)
    """Stall condition -> first instant it held (before the deal went dark)."""
    last_buyer: float = 0.0
    unanswered: int = 0
    eb_last: float | None = None
    stage: str | None = None
    close_date: str | None = None
    name: str = ""
    risks: frozenset[str] = frozenset()
    stall_points: list[tuple[float, tuple[str, ...]]] = field(default_factory=list)
    """Each buyer activity after two weeks (up to going dark) and the conditions then."""


def _fields(ev: DealEvents, t: float) -> dict[str, object]:
    out: dict[str, object] = {}
    for valid, recorded, _cid, name, value in ev.changes:
        if valid <= t and recorded <= t:
            out[name] = value
    return out


def _stall_conditions(single: bool, champion: bool, no_next: bool, eb: bool) -> list[str]:
    base = {"single_threaded": single, "champion_identified": champion,
            "no_next_meeting": no_next, "eb_not_engaged": not eb}  # fmt: skip
    on = sorted(k for k, v in base.items() if v)
    out = list(on)
    out += [f"{a}+{b}" for i, a in enumerate(on) for b in on[i + 1 :]]
    out += [f"{a}+{b}+{c}" for i, a in enumerate(on) for j, b in enumerate(on[i + 1 :], i + 1)
            for c in on[j + 1 :]]  # fmt: skip
    return out


def build_record(  # noqa: C901 - one pass over the activities is the point
    ev: DealEvents, t: float, *, accounts: dict[str, tuple[str | None, str | None, str | None, float]],
    tz: dict[str, str], dark_days: float, close: tuple[float, bool] | None,
    followups: int = 3,
) -> DealRecord:  # fmt: skip
    """The record of one deal as known at ``t`` (``close`` = (closed at, won) if closed by t)."""
    end = close[0] if close else t
    f = _fields(ev, end if close else t)
    owner = str(f["owner_id"]) if f.get("owner_id") is not None else None
    try:
        amount = float(f.get("amount") or 0.0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        amount = 0.0
    rec = DealRecord(ev.deal_id, owner, ev.created, close[1] if close else None,
                     close[0] if close else None, amount)  # fmt: skip
    engaged: set[str] = set()
    engaged_14: set[str] = set()
    champ = n_conv = 0
    eb = eb_14 = bc = False
    bc_early = False
    comps: set[str] = set()
    risks: set[str] = set()
    words: set[str] = set()
    first: float | None = None
    last_buyer = ev.created
    no_next = True
    unanswered = 0
    pending: list[tuple[float, list[str]]] = []
    for a in ev.activities:
        if a.occurred > end or a.recorded > t:
            continue
        first = a.occurred if first is None else first
        early = a.occurred < ev.created + 14 * DAY
        if a.is_buyer_activity:
            gap = a.occurred - last_buyer
            if rec.dark_from is None and gap >= dark_days * DAY and unanswered >= followups:
                rec.dark_from = last_buyer
            last_buyer, unanswered = a.occurred, 0
            engaged.update(a.buyers)
            if early:
                engaged_14.update(a.buyers)
        elif a.kind == "email" and a.direction == "outbound":
            unanswered += 1
        versions = ev.signals.get(a.activity_id)
        p = payload_at(versions, t, backfill=True) if versions else None
        if p is not None:
            c = p.get("champion")
            if isinstance(c, dict) and c.get("name"):
                rank = SENIORITY_RANK.get(seniority_of(c.get("title"), c.get("seniority")) or "", 0)
                champ = max(champ, rank)
            if as_bool(p.get("economic_buyer_engaged")):
                eb, rec.eb_last = True, a.occurred
                eb_14 = eb_14 or early
            if as_bool(p.get("business_case_shared")) and not bc:
                bc, bc_early = True, n_conv < 3
            comps.update(names_of(p.get("competitors")))
            for text in names_of(p.get("risks")):
                risks.add(risk_category(text))
                words.add(text.strip().lower())
            if a.is_conversation or a.kind == "email":
                no_next = not as_bool(p.get("next_meeting_scheduled"))
        if a.is_conversation:
            n_conv += 1
        if a.is_buyer_activity and rec.dark_from is None and a.occurred >= ev.created + 14 * DAY:
            single = len(engaged_14) <= 1
            pending.append((a.occurred, _stall_conditions(single, champ > 0, no_next, eb)))
    if rec.dark_from is None and end - last_buyer >= dark_days * DAY and unanswered >= followups:
        rec.dark_from = last_buyer
    for at, conds in pending:
        if rec.dark_from is not None and at > rec.dark_from:
            break
        rec.stall_points.append((at, tuple(conds)))
        for cond in conds:
            rec.stall_matches.setdefault(cond, at)
    seg, ind, reg, acc_known = accounts.get(ev.account_id, (None, None, None, 0.0))
    fac = rec.factors
    if acc_known <= t:
        for attr, level in (("segment", seg), ("industry", ind), ("region", reg)):
            if level:
                fac[attr] = str(level)
    for name, value in f.items():
        if name not in CORE_FIELDS and name not in EXCLUDED_CUSTOM and isinstance(value, str):
            fac[name] = value.strip().lower()
    if first is not None:
        zone = ZoneInfo(tz.get(owner or "", "UTC"))
        fac["kickoff_weekday"] = WEEKDAYS[datetime.fromtimestamp(first, zone).weekday()]
    if ev.signals:
        fac["champion_seniority"] = SENIORITY_WORDS[champ]
        fac["business_case"] = "before_3rd_meeting" if bc_early else ("later" if bc else "none")
        fac["economic_buyer_engaged"] = "yes" if eb else "no"
        fac["champion_left"] = "yes" if "champion_left" in risks else "no"
        fac["budget_risk"] = "yes" if "budget" in risks else "no"
        for comp in comps:
            fac[f"competitor:{comp}"] = "yes"
        fac["any_competitor"] = "yes" if comps else "no"
    fac["stakeholders_14d"] = "3+" if len(engaged_14) >= 3 else str(len(engaged_14))
    fac["went_dark"] = "yes" if rec.dark_from is not None else "no"
    rec.competitors = tuple(sorted(comps))
    rec.last_buyer, rec.unanswered, rec.risks = last_buyer, unanswered, frozenset(words)
    rec.stage = str(f["stage"]) if f.get("stage") is not None else None
    rec.close_date = str(f["close_date"])[:10] if f.get("close_date") else None
    rec.name = str(f.get("name") or ev.deal_id)
    rec.behaviours = {
        "multithreaded_14d": len(engaged_14) >= 3,
        "economic_buyer_in_14d": eb_14,
        "business_case_before_3rd_meeting": bc_early,
    }
    return rec


def load_records(
    session: Session, *, org_id: str, as_of: datetime, dark_days: float = 21.0,
    followups: int = 3, extractors: Sequence[str] = (),
) -> list[DealRecord]:  # fmt: skip
    """Records of every deal known at ``as_of`` (closed ones carry their outcome).

    Args:
        session: Open session.
        org_id: The org; no other org's rows are read.
        as_of: Instant (UTC-aware); only what was recorded by then is used.
        dark_days: Buyer silence (days) that counts as the deal going dark.
        followups: Unanswered seller emails in that silence needed to call it dark.
        extractors: Only signals of these extractors (empty = all).
    """
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of.isoformat()} is naive; pass a UTC-aware datetime")
    t = as_of.timestamp()
    org = load_org(session, org_id=org_id, until=t)
    events = load_deals(session, org_id=org_id, until=t, extractors=extractors)
    closes = {c.deal_id: (c.at, c.won) for c in org.closes}
    tz = user_timezones(session, org_id=org_id)
    out = []
    for deal_id in sorted(events):
        ev = events[deal_id]
        if ev.known > t or ev.created > t:
            continue
        out.append(build_record(ev, t, accounts=org.accounts, tz=tz, dark_days=dark_days,
                                close=closes.get(deal_id), followups=followups))  # fmt: skip
    return out


def user_timezones(session: Session, *, org_id: str) -> dict[str, str]:
    """Each user's IANA timezone."""
    query = select(col(User.id), col(User.timezone)).where(col(User.org_id) == org_id)
    return {str(uid): str(tz) for uid, tz in session.execute(query)}


def custom_factor_names(records: Sequence[DealRecord]) -> set[str]:
    """Factors with too many levels to test (free text such as deal names)."""
    levels: dict[str, set[str]] = {}
    for r in records:
        for k, v in r.factors.items():
            levels.setdefault(k, set()).add(v)
    return {k for k, v in levels.items() if len(v) > MAX_CUSTOM_LEVELS}
