"""One deal's truth: latent factors, propensity, outcome, and what its activities show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from evals.sim.cast import Cast
from evals.sim.config import SimConfig
from evals.sim.fate import Fate
from evals.sim.latent import DealFactors
from evals.sim.people import AccountProfile, Rep
from evals.sim.plan import Touch
from evals.sim.render import Doc
from evals.sim.timing import WEEKDAYS, iso_day, zone
from evals.sim.truth import DealTruth, ShockTruth, StallTruth

EARLY_WINDOW = timedelta(days=14)


@dataclass
class DealFacts:
    """Everything about a generated deal that its truth is computed from."""

    config: SimConfig
    factors: DealFactors
    fate: Fate
    cast: Cast
    account: AccountProfile
    rep: Rep
    deal: dict[str, Any]
    initial: dict[str, Any]
    amounts: dict[str, float]
    docs: list[tuple[Touch, Doc, str, str]]
    shock_at: datetime | None
    closed_at: datetime
    expected_close: datetime
    last_close_date: str
    close_recorded_at: datetime


def _engaged(t: Touch) -> list[str]:
    """Buyer people who took part themselves (attended, or wrote the email)."""
    if t.kind in ("call", "meeting"):
        return [b.name for b in t.buyers]
    if t.kind == "email" and t.direction == "inbound" and t.author is not None:
        return [t.author.name]
    return []


def observed(facts: DealFacts) -> dict[str, Any]:
    """What the deal's rendered activities show (the basis of realised effect sizes)."""
    created = facts.deal["created_at"]
    meetings = 0
    bc_early = False
    engaged_14d: set[str] = set()
    engaged: set[str] = set()
    champion = "none"
    eb_engaged = False
    competitors: list[str] = []
    framings: Counter[str] = Counter()
    buyer_times: list[datetime] = []
    for t, doc, _, _ in facts.docs:
        assert t.at is not None
        if t.is_meeting:
            meetings += 1
        if doc.bc and meetings < 3:
            bc_early = True
        names = _engaged(t)
        engaged.update(names)
        if names:
            buyer_times.append(t.at)
            if t.at - created < EARLY_WINDOW:
                engaged_14d.update(names)
        if doc.champion is not None and champion == "none":
            champion = doc.champion.seniority or "none"
        eb_engaged = eb_engaged or doc.eb_engaged
        competitors += [c for c in doc.competitors if c not in competitors]
        if doc.framing:
            framings[doc.framing] += 1
    end = min(facts.closed_at, facts.config.end)
    stamps = [created, *buyer_times, end]
    gap = max((b - a).total_seconds() / 86400 for a, b in zip(stamps, stamps[1:], strict=False))
    first = facts.docs[0][0].at if facts.docs else None
    return {
        "activities": len(facts.docs),
        "meetings": meetings,
        "champion_seniority": champion,
        "bc_before_third_meeting": bc_early,
        "bc_shared": any(d.bc for _, d, _, _ in facts.docs),
        "engaged_stakeholders_14d": len(engaged_14d),
        "engaged_stakeholders_total": len(engaged),
        "eb_engaged": eb_engaged,
        "competitors": competitors,
        "framing": framings.most_common(1)[0][0] if framings else None,
        "went_dark": facts.fate.dark_from is not None and _dark_started(facts),
        "max_buyer_gap_days": round(gap, 2),
        "kickoff_weekday": WEEKDAYS[first.astimezone(zone(facts.rep.timezone)).weekday()]
        if first
        else None,
    }


def _dark_started(facts: DealFacts) -> bool:
    pivot = facts.fate.pivot
    return pivot is not None and pivot.at is not None and pivot.at <= facts.config.end


def deal_truth(facts: DealFacts) -> tuple[DealTruth, ShockTruth | None, StallTruth | None]:
    """Return the deal's truth, its shock (if revealed by now) and its dark period (if any)."""
    f, fate, cast, config = facts.factors, facts.fate, facts.cast, facts.config
    end = config.end
    closed = facts.closed_at <= end
    outcome = ("won" if f.won else "lost") if closed else "open"
    by_touch = {id(t): (act_id, act_sid) for t, _, act_id, act_sid in facts.docs}
    champ = cast.champion
    latent = {
        "rep_skill": f.rep_skill,
        "top_rep": f.top_rep,
        "champion_seniority": f.champion_seniority,
        "champion": {"name": champ.name, "title": champ.title} if champ else None,
        "economic_buyer": {"name": cast.eb.name, "title": cast.eb.title},
        "threading": f.threading,
        "eb_engaged": f.eb_engaged,
        "bc_timing": f.bc_timing,
        "competitor": f.competitor,
        "framing": f.framing,
        "health": round(f.health, 6),
        "shock": f.shock,
        "stall_pattern": f.stall_pattern,
        "dark": f.dark,
        "revived": fate.revived,
        "stage_regression": fate.regression,
    }
    truth = DealTruth(
        deal_id=facts.deal["id"],
        source_id=facts.deal["source_id"],
        name=facts.deal["name"],
        account_id=facts.account.account_id,
        account_source_id=facts.account.source_id,
        owner_id=facts.rep.user_id,
        rep_source_id=facts.rep.source_id,
        segment=f.segment,
        lead_source=f.lead_source,
        product_line=f.product_line,
        industry=f.industry,
        region=f.region,
        currency=facts.initial["currency"],
        amount=facts.amounts["final"] if f.won else facts.amounts["proposal"],
        created_at=facts.deal["created_at"],
        expected_close_date=iso_day(facts.expected_close),
        close_date=iso_day(facts.closed_at) if closed else facts.last_close_date,
        closed_at=facts.closed_at if closed else None,
        close_recorded_at=facts.close_recorded_at if closed else None,
        outcome=outcome,
        planned_outcome="won" if f.won else "lost",
        planned_closed_at=facts.closed_at,
        loss_reason=fate.loss_reason if closed else None,
        win_propensity=round(f.propensity, 6),
        win_propensity_initial=round(f.propensity_initial, 6),
        logit_terms=f.terms,
        latent=latent,
        observed=observed(facts),
    )
    shock = None
    if f.shock and facts.shock_at is not None and facts.shock_at <= end:
        act_id, act_sid = by_touch.get(id(fate.shock_touch), (None, None))
        t = fate.shock_touch
        shock = ShockTruth(
            deal_id=truth.deal_id,
            deal_source_id=truth.source_id,
            kind=f.shock,  # type: ignore[arg-type]
            date=facts.shock_at,
            activity_id=act_id,
            activity_source_id=act_sid,
            revealed_at=t.at if act_id and t is not None else None,
        )
    stall = None
    if fate.pivot is not None and _dark_started(facts):
        revival = next((t for t, _, _, _ in facts.docs if t.purpose == "revival"), None)
        no_show = next((a for t, _, a, _ in facts.docs if t.purpose == "no_show"), None)
        dark_to = revival.at if revival else (facts.closed_at if closed else None)
        stall = StallTruth(
            deal_id=truth.deal_id,
            deal_source_id=truth.source_id,
            stall_pattern=f.stall_pattern,
            dark_from=fate.pivot.at,  # type: ignore[arg-type]
            dark_to=dark_to,
            revived=revival is not None,
            no_show_activity_id=no_show,
        )
    return truth, shock, stall
