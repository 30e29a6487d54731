"""What is said in each activity of a deal: the beats, chosen from the deal's factors.

The planted mechanisms become words here: who pushes internally, when the business
case circulates, which competitor is named, how value is framed, whether a meeting is
booked, the stall pattern's vague last call and no-show, the shock, plus distractors.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from evals.sim import vocab
from evals.sim.cast import Cast
from evals.sim.latent import DealFactors
from evals.sim.people import Actor
from evals.sim.plan import Touch
from evals.sim.timing import business_time

RISKS_BY_PURPOSE = {
    "technical": ("security review", "integration concerns"),
    "demo": ("driver adoption", "integration concerns"),
    "extra_meeting": ("driver adoption", "timeline slip"),
    "pricing_call": ("budget pressure", "timeline slip"),
    "negotiation": ("legal review", "budget pressure"),
    "procurement": ("legal review", "security review"),
    "buyer_question": ("integration concerns", "timeline slip"),
    "buyer_checkin": ("timeline slip", "budget pressure"),
}
MEETING_PURPOSES = {
    "discovery",
    "demo",
    "technical",
    "pricing_call",
    "negotiation",
    "extra_meeting",
}
OUTBOUND_PITCH = {"discovery_followup", "demo_followup", "proposal", "checkin", "event_followup"}
BUYER_EMAILS = {"buyer_question", "buyer_checkin", "procurement", "eb_reply"}


@dataclass
class Progress:
    """What has been said so far in the deal."""

    comp_said: int = 0
    eb_named: bool = False
    pushes: int = 0
    bc: bool = False
    meetings: int = 0


def _other_competitor(rng: random.Random, comp: str) -> str:
    return rng.choice([c for c in vocab.COMPETITORS if c not in (comp, "in-house")])


def plan_beats(
    rng: random.Random,
    f: DealFactors,
    cast: Cast,
    touches: list[Touch],
    amounts: dict[str, float],
    tz: str,
    pivot: Touch | None,
    shock: Touch | None,
    shock_at: datetime | None,
) -> None:
    """Fill every touch's beats (touches must already have attendees and times)."""
    pr = Progress()
    risk_p = 1.0 / (1.0 + math.exp(1.3 + 1.6 * f.health))
    comp = f.competitor if f.competitor != "none" else None
    champ = cast.champion
    for i, t in enumerate(touches):
        p = t.purpose
        if t.kind == "email":
            champ_here = champ is not None and t.author is champ
        else:
            champ_here = champ is not None and champ in t.buyers
        is_meet = t.kind in ("call", "meeting") and bool(t.buyers)
        speaker = t.buyers[0] if t.buyers else cast.contact
        if t is shock:
            _shock(f, cast, champ, t, shock_at)
            champ = None if f.shock == "champion_left" else champ
            continue
        if is_meet and rng.random() < (0.8 if t.kind == "call" else 0.4):
            t.add("small_talk", who=speaker)
        _opening(rng, f, cast, t)
        if p in ("intro", "discovery", "demo", "technical", "extra_meeting"):
            t.add("pain", who=speaker)
            if len(t.buyers) > 1 and rng.random() < 0.6:
                t.add("pain", who=t.buyers[1])
            if p != "discovery" or rng.random() < 0.5:
                t.add("product", extra={"framing": f.framing})
        if p in ("technical", "buyer_question") or (p == "demo" and rng.random() < 0.5):
            asker = cast.it if cast.it in t.buyers else rng.choice(t.buyers or [speaker])
            t.add("question", who=asker)
        # champion pushing internally
        if champ_here and champ is not None and (p in MEETING_PURPOSES or p in BUYER_EMAILS):
            force = pr.pushes == 0 and p != "intro"
            if force or rng.random() < 0.55:
                t.add("champion_push", who=champ)
                pr.pushes += 1
        elif p == "internal_note" and champ is not None and rng.random() < 0.5 and pr.pushes:
            t.add("champion_push", who=champ)
            pr.pushes += 1
        elif (
            is_meet
            and len(t.buyers) > 1
            and rng.random() < 0.12
            and any(b is not champ for b in t.buyers[1:])
        ):
            t.add("enthusiast", who=next(b for b in t.buyers[1:] if b is not champ))
        # economic buyer
        if p == "pricing_call" and cast.eb in t.buyers:
            t.add("eb_attends", who=cast.eb, other=cast.contact)
            pr.eb_named = True
        elif p == "eb_reply":
            t.add("eb_writes", who=cast.eb)
            pr.eb_named = True
        elif (
            not pr.eb_named
            and not f.eb_engaged
            and is_meet
            and p in MEETING_PURPOSES
            and rng.random() < 0.35
        ):
            t.add("eb_absent", who=cast.eb, other=speaker)
            pr.eb_named = True
        # competitors and distractors
        if comp is not None and t.buyers and t.author is not cast.rep:
            first = pr.comp_said == 0 and (
                p == "discovery" or (p == "intro" and rng.random() < 0.4)
            )
            later = pr.comp_said > 0 and rng.random() < {"pricing_call": 0.6}.get(p, 0.15)
            if first or (later and (is_meet or p in BUYER_EMAILS)):
                lead = pr.comp_said > 0 and p in ("pricing_call", "negotiation", "demo")
                t.add("competitor_lead" if lead else "competitor", who=speaker, comp=comp)
                if lead or (is_meet and rng.random() < 0.5):
                    t.add("counter", comp=comp, extra={"framing": f.framing})
                pr.comp_said += 1
        if t.buyers and t.author is not cast.rep and rng.random() < 0.05:
            t.add("competitor_negated", who=speaker, comp=_other_competitor(rng, f.competitor))
        elif t.buyers and t.author is not cast.rep and rng.random() < 0.04:
            t.add("competitor_context", who=speaker, comp=_other_competitor(rng, f.competitor))
        # business case
        if is_meet:
            pr.meetings += 1
        if not pr.bc:
            if f.bc_timing == "early" and p == "discovery_followup":
                t.add("bc_shared", who=cast.rep)
                pr.bc = True
            elif f.bc_timing == "late" and pr.meetings >= 3:
                if p == "proposal" or (p == "checkin" and rng.random() < 0.5):
                    t.add("bc_shared", who=cast.rep)
                    pr.bc = True
                elif champ_here and champ is not None and p in MEETING_PURPOSES:
                    t.add("bc_shared", who=champ)
                    pr.bc = True
            elif p in ("discovery", "demo", "discovery_followup") and rng.random() < 0.12:
                t.add("bc_suggested", who=speaker if is_meet else cast.rep)
        # pricing
        if p in ("proposal", "pricing_call") or (
            p in ("negotiation", "procurement") and rng.random() < 0.75
        ):
            key = "final" if p in ("negotiation", "procurement") else "proposal"
            t.add("pricing", who=speaker, extra={"amount": amounts[key], "stage": key})
        elif p in ("intro", "discovery") and rng.random() < 0.1:
            t.add("pricing", who=speaker, extra={"amount": amounts["initial"], "ballpark": True})
        # risks (more frequent in unhealthy deals)
        if p in RISKS_BY_PURPOSE and t.buyers and rng.random() < risk_p:
            t.add("risk", who=speaker, extra={"risk": rng.choice(RISKS_BY_PURPOSE[p])})
        if p in BUYER_EMAILS and rng.random() < 0.04:
            t.add("injection")
        if t.kind == "email" and t.author is cast.rep and p not in ("dark_followup", "pencil_in"):
            t.add("map")
        if t.direction == "outbound" and p in OUTBOUND_PITCH and rng.random() < 0.6:
            t.add("product", extra={"framing": f.framing})
        if p == "pencil_in":
            _pencil_in(t, touches[i + 1 :])
        else:
            _next_step(rng, t, touches[i + 1 :], tz, forced_vague=t is pivot)
        _closing(cast, t, comp)


def _opening(rng: random.Random, f: DealFactors, cast: Cast, t: Touch) -> None:
    """Purpose-specific kernel beats."""
    p = t.purpose
    kernel = {
        "inbound_lead": "inbound_lead",
        "outreach_reply": "outreach_reply",
        "event_followup": "event_followup",
        "partner_referral": "referral",
        "intro": "agenda",
        "discovery_followup": "recap",
        "demo_followup": "recap",
        "proposal": "proposal",
        "procurement": "procurement_ask",
        "legal": "legal",
        "checkin": "checkin",
        "buyer_checkin": "buyer_checkin",
        "internal_note": "note_summary",
        "rescope": "rescope",
        "dark_followup": "dark_followup",
        "pencil_in": "pencil_in",
        "revival": "revival",
        "shock_reply": "shock_reply",
        "shock_recovery": "shock_recovery",
        "negotiation": "negotiation",
    }.get(p)
    if kernel:
        extra: dict[str, object] = {"shock": f.shock}
        if p == "dark_followup":
            extra["pick"] = t.order
        t.add(kernel, who=t.buyers[0] if t.buyers else cast.contact, extra=extra)
    if p == "internal_note":
        t.add("note_detail")
        if rng.random() < 0.5:
            t.add("note_detail")
    if p == "no_show" and cast.champion is not None:
        t.add("no_show", who=cast.champion)
        t.add("risk", who=cast.champion, extra={"risk": "champion disengaged"})


def _closing(cast: Cast, t: Touch, comp: str | None) -> None:
    p = t.purpose
    who = t.buyers[0] if t.buyers else cast.contact
    if p == "won":
        t.add("won", who=who)
    elif p == "won_note":
        t.add("won_note", who=who)
    elif p == "loss_competitor":
        t.add("loss_competitor", who=who, comp=comp)
    elif p == "loss_no_decision":
        t.add("loss_no_decision", who=who)
    elif p in ("closing_dark", "closing_shock"):
        t.add("closing", who=who, extra={"reason": p})


def _shock(
    f: DealFactors, cast: Cast, champ: Actor | None, t: Touch, when: datetime | None
) -> None:
    if f.shock == "champion_left" and champ is not None:
        t.add("shock_champion_left", who=champ, other=cast.messenger, when=when)
    else:
        t.add("shock_budget", who=t.buyers[0] if t.buyers else cast.contact, when=when)


def _pencil_in(t: Touch, later: list[Touch]) -> None:
    """Propose (never confirm) the slot the champion will then miss."""
    no_show = next((u for u in later if u.purpose == "no_show"), None)
    if no_show is not None and no_show.at is not None:
        slot = no_show.at.replace(minute=0, second=0, microsecond=0) - timedelta(minutes=30)
        t.add("next_proposed", who=t.buyers[0] if t.buyers else None, when=slot)


def _next_step(
    rng: random.Random, t: Touch, later: list[Touch], tz: str, *, forced_vague: bool
) -> None:
    """Book the next meeting concretely, propose one, stay vague, or say nothing."""
    if t.at is None or t.kind == "note" or t.purpose in ("won", "loss_competitor"):
        return
    is_meet = t.kind in ("call", "meeting") and bool(t.buyers)
    if forced_vague:
        t.add("next_vague", who=t.buyers[0])
        return
    nxt = next((u for u in later if u.is_meeting), None)
    soon = nxt is not None and nxt.at is not None and nxt.at - t.at <= timedelta(days=21)
    between = nxt is not None and any(u.kind != "email" for u in later[: later.index(nxt)])
    r = rng.random()
    if is_meet:
        if soon and not between and r < 0.6 and nxt is not None:
            t.add("next_confirmed", who=t.buyers[-1], when=nxt.at)
        elif r < 0.8:
            t.add("next_vague", who=t.buyers[0])
        elif r < 0.93:
            when = business_time(t.at + timedelta(days=rng.randint(3, 10)), tz, rng)
            if nxt is None or when != nxt.at:
                t.add("next_proposed", who=t.buyers[-1], when=when)
    elif t.direction == "inbound" and soon and not between and nxt is not None and r < 0.25:
        t.add("next_confirmed", who=t.author, when=nxt.at)
    elif t.direction == "outbound" and r < 0.35:
        when = business_time(t.at + timedelta(days=rng.randint(3, 10)), tz, rng)
        if nxt is None or when != nxt.at:
            t.add("next_proposed", who=t.buyers[0] if t.buyers else None, when=when)
