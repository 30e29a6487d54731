"""Build one simulated deal end to end: factors, fate, activities, text, fields and truth."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from evals.sim import vocab
from evals.sim.beats_plan import plan_beats
from evals.sim.cast import attend, make_cast
from evals.sim.config import SimConfig
from evals.sim.deal_truth import DealFacts, deal_truth
from evals.sim.fate import apply_fate
from evals.sim.fields import currency_for, plan_amounts, plan_changes, record_times
from evals.sim.latent import decide_outcome, sample_factors
from evals.sim.people import AccountProfile, Actor, Rep, rng_for
from evals.sim.plan import Touch
from evals.sim.render import DealCtx, Doc
from evals.sim.script import assign_times, skeleton
from evals.sim.style import Style
from evals.sim.text_calls import render_call
from evals.sim.text_emails import render_email
from evals.sim.text_notes import render_meeting, render_note
from evals.sim.timing import business_time, iso_day
from evals.sim.truth import ActivityTruth, DealTruth, ShockTruth, StallTruth
from memory.ids import content_hash, make_id

CALL_SUBJECTS = {
    "intro": "Intro call",
    "discovery": "Discovery call",
    "demo": "Demo",
    "technical": "Technical deep-dive",
    "pricing_call": "Commercial discussion",
    "negotiation": "Negotiation call",
    "extra_meeting": "Working session",
    "shock_reveal": "Check-in call",
}


@dataclass
class Team:
    """World-level collaborators every deal needs."""

    config: SimConfig
    reps: list[Rep]
    managers: dict[str, Rep]
    styles: dict[str, Style]
    engineers: dict[str, Actor]


@dataclass
class DealOutput:
    """Rows and truth of one deal."""

    created_at: datetime
    deal: dict[str, Any]
    changes: list[dict[str, Any]]
    activities: list[dict[str, Any]] = field(default_factory=list)
    truth: DealTruth | None = None
    activity_truths: list[ActivityTruth] = field(default_factory=list)
    shock: ShockTruth | None = None
    stall: StallTruth | None = None


def created_time(config: SimConfig, index: int, rng: random.Random, tz: str) -> datetime:
    """Creation instant of deal ``index``: spread evenly over the span, in office hours."""
    span = (config.end - config.start) - timedelta(days=3)
    base = config.start + span * ((index + rng.random()) / config.deals)
    return business_time(base, tz, rng, slot=False)


def _recorded(touch: Touch, rng: random.Random, late_share: float) -> datetime:
    at = touch.at
    assert at is not None
    if touch.kind == "email":
        return at + timedelta(minutes=rng.randint(1, 20))
    if touch.kind == "note":
        return at + timedelta(minutes=rng.randint(0, 3))
    delay = timedelta(minutes=rng.randint(30, 60) if touch.kind == "call" else rng.randint(60, 180))
    if rng.random() < late_share:
        touch.late_log = True
        delay += timedelta(days=1, hours=rng.randint(-3, 3))
    return at + delay


def build_deal(team: Team, index: int, account: AccountProfile, next_act: int) -> DealOutput:
    """Generate deal ``index`` on ``account``; activity source ids start at ``next_act``."""
    config = team.config
    org = config.org_id
    rng = rng_for(config.seed, "deal", index)
    rep = team.reps[rng.randrange(len(team.reps))]
    style = team.styles[rep.user_id]
    created = created_time(config, index, rng, rep.timezone)
    f = sample_factors(rng, account, rep, style)
    decide_outcome(rng, f)
    chosen, cycle, close_day = skeleton(rng, f, config.activities_per_deal)
    fate = apply_fate(rng, f, chosen, close_day)
    touches = [t for _, t in fate.touches]
    boss = team.managers[rep.manager_id or ""]
    cast = make_cast(rng, f, account, rep.actor, team.engineers[boss.user_id], boss.actor)
    eb_call = f.eb_engaged and not any(t.purpose == "eb_reply" for t in touches)
    for t in touches:
        attend(rng, f, cast, t, eb_call)
        if t is fate.shock_touch and f.shock == "champion_left" and cast.champion is not None:
            cast.gone.add(cast.champion.name)
            cast.contact = cast.messenger
    assign_times(touches, created, rep.timezone, rng)
    shock_at = (
        business_time(created + timedelta(days=fate.shock_day), rep.timezone, rng, slot=False)
        if fate.shock_day is not None
        else None
    )
    if shock_at is not None and fate.shock_touch is not None and fate.shock_touch.at is not None:
        shock_at = min(shock_at, fate.shock_touch.at - timedelta(hours=2))
    amounts = plan_amounts(rng, f.segment)
    currency = currency_for(rng, f.region)
    plan_beats(rng, f, cast, touches, amounts, rep.timezone, fate.pivot, fate.shock_touch, shock_at)
    last = touches[-1].at
    assert last is not None
    closed_at = last + timedelta(minutes=rng.randint(120, 1800))
    expected_close = created + timedelta(days=cycle)
    sid = f"D{index + 1:05d}"
    deal_id = make_id("deal", org, sid)
    product = vocab.PRODUCT_LINES[f.product_line]
    name = f"{account.name.split(' (')[0]} - {product}"
    initial = {
        "name": name,
        "stage": "qualification" if f.lead_source in ("inbound", "partner") else "prospecting",
        "amount": amounts["initial"],
        "currency": currency,
        "close_date": iso_day(expected_close),
        "owner_id": rep.user_id,
        "forecast_category": "pipeline",
        "lead_source": f.lead_source,
        "product_line": f.product_line,
    }
    changes = plan_changes(
        rng,
        created=created,
        initial=initial,
        touches=touches,
        amounts=amounts,
        expected_close=expected_close,
        closed_at=closed_at,
        outcome="won" if f.won else "lost",
        loss_reason=fate.loss_reason,
    )
    changes = record_times(config, rng, changes)
    end = config.end
    change_rows = [
        {
            "org_id": org,
            "deal_id": deal_id,
            "field": c.field,
            "value": c.value,
            "valid_from": c.valid_from,
            "recorded_at": c.recorded_at,
            "source": "sim",
            "source_id": f"{sid}-FC{k + 1:03d}",
            "author": rep.user_id,
        }
        for k, c in enumerate(changes)
        if c.recorded_at <= end
    ]
    out = DealOutput(
        created_at=created,
        deal={
            "id": deal_id,
            "org_id": org,
            "account_id": account.account_id,
            "name": name,
            "source": "sim",
            "source_id": sid,
            "created_at": created,
            "recorded_at": created,
        },
        changes=change_rows,
    )
    ctx = DealCtx(
        company=account.name.split(" (")[0],
        fleet=account.fleet,
        depots=account.depots,
        currency=currency,
        eb=account.eb,
        rep=rep.actor,
        tz=rep.timezone,
        product=product,
    )
    docs: list[tuple[Touch, Doc, str, str]] = []
    for t in touches:
        if t.at is None or t.at > end:
            break
        recorded = _recorded(t, rng, config.late_log_share)
        if recorded > end:
            continue
        doc = Doc(t)
        subject: str | None
        if t.kind == "call":
            subject, body = CALL_SUBJECTS.get(t.purpose, "Call"), render_call(t, ctx, rng, doc)
        elif t.kind == "meeting":
            subject, body = (
                CALL_SUBJECTS.get(t.purpose, "Meeting"),
                render_meeting(t, ctx, rng, doc),
            )
        elif t.kind == "email":
            subject, body = render_email(t, ctx, style, rng, doc)
        else:
            subject, body = None, render_note(t, ctx, rng, doc)
        act_sid = f"ACT{next_act + len(out.activities):06d}"
        act_id = make_id("activity", org, act_sid)
        participants = _participants(t)
        chash = content_hash(subject, body)
        out.activities.append(
            {
                "id": act_id,
                "org_id": org,
                "deal_id": deal_id,
                "account_id": account.account_id,
                "kind": t.kind,
                "subject": subject,
                "body": body,
                "participants": participants,
                "direction": t.direction if t.kind == "email" else None,
                "occurred_at": t.at,
                "recorded_at": recorded,
                "source": "sim",
                "source_id": act_sid,
                "content_hash": chash,
            }
        )
        out.activity_truths.append(
            ActivityTruth(
                activity_id=act_id,
                source_id=act_sid,
                deal_id=deal_id,
                deal_source_id=sid,
                kind=t.kind,
                purpose=t.purpose,
                occurred_at=t.at,
                recorded_at=recorded,
                content_hash=chash,
                signals=doc.signals(),
                tags=doc.tags,
                framing=doc.framing,
                next_meeting_at=doc.next_meeting_at,
            )
        )
        docs.append((t, doc, act_id, act_sid))
    out.truth, out.shock, out.stall = deal_truth(
        DealFacts(
            config=config,
            factors=f,
            fate=fate,
            cast=cast,
            account=account,
            rep=rep,
            deal=out.deal,
            initial=initial,
            amounts=amounts,
            docs=docs,
            shock_at=shock_at,
            closed_at=closed_at,
            expected_close=expected_close,
            last_close_date=_last_close_date(changes, config.end),
            close_recorded_at=max(
                c.recorded_at for c in changes if c.field == "stage" and c.valid_from == closed_at
            ),
        )
    )
    return out


def _last_close_date(changes: list[Any], end: datetime) -> str:
    """The true close date at ``end`` (corrections win over the wrong first record)."""
    dates = [c for c in changes if c.field == "close_date" and c.valid_from <= end]
    return str(max(dates, key=lambda c: (c.valid_from, c.recorded_at)).value)


def _participants(t: Touch) -> list[dict[str, Any]]:
    if t.kind == "note":
        return [t.sellers[0].participant()]
    people = ([t.author] if t.author else []) + t.sellers + t.buyers
    return [a.participant() for a in dict.fromkeys(people)]
