"""Pattern records of a few open deals at one instant, and the patterns each one carries.

Mining (:mod:`scoring.patterns.mine`) builds records for every deal of the org; the tools
need the same record for one deal (a score card, a draft) or one rep's pipeline. This
module loads just those deals with the same bulk loaders and the same
:func:`~scoring.patterns.records.build_record`, turns a stored report (its JSON form) back
into a :class:`PatternReport`, and lists what a deal carries: the significant patterns it
matches (:func:`~scoring.patterns.match.match_deal`) and the winning signals it lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast, get_args

from sqlalchemy import select
from sqlmodel import Session

from memory.models import CLOSED_LOST, CLOSED_WON, Account
from scoring.events import Seconds, load_deals
from scoring.patterns.findings import Finding, Kind, PatternReport
from scoring.patterns.match import match_deal
from scoring.patterns.records import DealRecord, build_record, user_timezones
from scoring.patterns.settings import PatternSettings
from scoring.patterns.stats import Comparison

ACTIONABLE = frozenset(
    {"stakeholders_14d", "economic_buyer_engaged", "business_case", "champion_seniority"}
)
"""Factors a rep can still change, so a winning level the deal lacks is worth saying."""

MULTITHREAD_FACTORS = frozenset(
    {
        "single_threaded",
        "stakeholders_14d",
        "multithreaded_14d",
        "eb_not_engaged",
        "economic_buyer_engaged",
        "economic_buyer_in_14d",
    }
)
"""Factors whose remedy is bringing another buyer-side stakeholder in."""


@dataclass(frozen=True)
class OpenDeal:
    """A deal's pattern record and the buyer-side people who have engaged so far.

    Attributes:
        record: The record as Keel knew it at the instant it was built for.
        engaged_buyers: Buyer-side people present in buyer activity (a call or meeting
            with them, an email from them) up to that instant.
    """

    record: DealRecord
    engaged_buyers: tuple[str, ...]

    @property
    def single_threaded(self) -> bool:
        """At most one buyer-side stakeholder has engaged."""
        return len(self.engaged_buyers) <= 1


@dataclass(frozen=True)
class CarriedPattern:
    """One significant pattern a deal carries, and how.

    Attributes:
        finding: The pattern.
        relation: ``"stall"`` (a stall predictor it matches), ``"has"`` (a win/loss
            signal it shows) or ``"lacks"`` (a winning signal it does not show).
        multithreading: The remedy is involving another buyer-side stakeholder.
    """

    finding: Finding
    relation: str
    multithreading: bool


def _float(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _finding(p: dict[str, Any]) -> Finding | None:
    kind, key = p.get("kind"), str(p.get("key") or "")
    if kind not in get_args(Kind) or not key:
        return None
    ra, rb = _float(p.get("rate_pattern")), _float(p.get("rate_rest"))
    na, nb = int(_float(p.get("n_pattern"))), int(_float(p.get("n_rest")))
    factors = [(str(f[0]), str(f[1])) for f in p.get("factors") or [] if len(f) == 2]
    if not factors and kind == "stall":
        factors = [(c, "yes") for c in key.removeprefix("stall:").split("+")]
    diff_ci = p.get("difference_ci95") or (0.0, 0.0)
    rr_ci = p.get("risk_ratio_ci95") or (0.0, 0.0)
    stats = Comparison(
        round(ra * na), na, round(rb * nb), nb, ra, rb,
        _float(p.get("difference"), ra - rb), (float(diff_ci[0]), float(diff_ci[1])),
        _float(p.get("risk_ratio"), ra / rb if rb else 0.0), (float(rr_ci[0]), float(rr_ci[1])),
        _float(p.get("p_value"), 1.0),
    )  # fmt: skip
    return Finding(cast(Kind, kind), key, factors, str(p.get("measure") or ""), stats, str(p.get("text") or key),
                   q_value=_float(p.get("q_value"), 1.0), significant=bool(p.get("significant", True)))  # fmt: skip


def report_from_dict(data: dict[str, Any]) -> PatternReport:
    """Rebuild a report from its stored JSON form (``PatternReport.as_dict()``).

    Findings with an unknown kind or no key are dropped; missing statistics default to
    what the stored rates imply.
    """
    findings = [f for p in data.get("patterns") or [] if (f := _finding(p)) is not None]
    return PatternReport(
        org_id=str(data.get("org_id") or ""), version=str(data.get("version") or ""),
        as_of=str(data.get("as_of") or ""), closed_deals=int(data.get("closed_deals") or 0),
        win_rate=_float(data.get("win_rate")), tests=int(data.get("tests") or len(findings)),
        fdr_q=_float(data.get("fdr_q"), 0.05), findings=findings,
    )  # fmt: skip


def load_open_deals(
    session: Session, *, org_id: str, deal_ids: Sequence[str], as_of: datetime,
    settings: PatternSettings | None = None,
) -> dict[str, OpenDeal]:  # fmt: skip
    """Records of the given deals that are open at ``as_of``, as Keel knew them then.

    Args:
        session: Open session.
        org_id: The org; deals of other orgs are never read.
        deal_ids: The deals wanted (already access-checked by the caller).
        as_of: Instant (UTC-aware); nothing recorded later is used.
        settings: The dark definition and which extractors' signals to read.
    """
    if as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of.isoformat()} is naive; pass a UTC-aware datetime")
    cfg = settings or PatternSettings()
    t = as_of.timestamp()
    events = load_deals(
        session, org_id=org_id, deal_ids=deal_ids, until=t, extractors=cfg.extractor
    )
    if not events:
        return {}
    acc = Account.__table__  # type: ignore[attr-defined]
    conv = Seconds()
    wanted = sorted({ev.account_id for ev in events.values()})
    query = select(acc.c.id, acc.c.segment, acc.c.industry, acc.c.region, acc.c.recorded_at)
    accounts = {
        a: (seg, ind, reg, conv(rec))
        for a, seg, ind, reg, rec in session.execute(
            query.where(acc.c.org_id == org_id, acc.c.id.in_(wanted))
        )
    }
    tz = user_timezones(session, org_id=org_id)
    out = {}
    for deal_id, ev in sorted(events.items()):
        if ev.known > t or ev.created > t:
            continue
        rec = build_record(ev, t, accounts=accounts, tz=tz, dark_days=cfg.dark_days, close=None,
                           followups=cfg.dark_followups)  # fmt: skip
        if rec.stage in (CLOSED_WON, CLOSED_LOST):
            continue
        engaged: dict[str, None] = {}
        for a in ev.activities:
            if a.is_buyer_activity and a.occurred <= t and a.recorded <= t:
                engaged.update(dict.fromkeys(a.buyers))
        out[deal_id] = OpenDeal(rec, tuple(engaged))
    return out


def _lacks(rec: DealRecord, report: PatternReport) -> list[Finding]:
    out = []
    for f in report.significant:
        if f.kind != "win_rate" or len(f.factors) != 1 or f.stats.difference <= 0:
            continue
        factor, level = f.factors[0]
        got = rec.factors.get(factor)
        if factor in ACTIONABLE and got is not None and got != level:
            out.append(f)
    return sorted(out, key=lambda f: -f.stats.difference)


def carried_patterns(deal: OpenDeal, report: PatternReport) -> list[CarriedPattern]:
    """Significant patterns the deal carries: stall predictors first, then harms, then gaps.

    Framing patterns are left out (a deal's framing is not part of its record; drafting
    matches those by competitor).
    """

    def multi(f: Finding) -> bool:
        return any(name in MULTITHREAD_FACTORS for name, _ in f.factors)

    out: list[CarriedPattern] = []
    for f in match_deal(deal.record, report):
        if f.kind == "framing":
            continue
        relation = "stall" if f.kind == "stall" else "has"
        # A winning signal the deal already shows asks for nothing more.
        remedy = multi(f) and (relation == "stall" or f.stats.difference < 0)
        out.append(CarriedPattern(f, relation, remedy))
    out += [CarriedPattern(f, "lacks", multi(f)) for f in _lacks(deal.record, report)]
    order = {"stall": 0, "has": 1, "lacks": 2}
    return sorted(out, key=lambda c: order[c.relation])
