"""The skeleton of one deal: which activities happen on which day, and how it ends.

Builds the won-path skeleton, then applies the deal's fate: lost at an exit stage,
stalled (no-show, then dark for weeks), or hit by a shock. Times are assigned last, in
the owning rep's office hours.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from evals.sim.latent import DealFactors
from evals.sim.plan import Touch
from evals.sim.timing import business_time

CYCLE_DAYS = {"smb": 40.0, "mid": 80.0, "enterprise": 150.0}
PHASES = ("qualification", "discovery", "solution", "proposal", "negotiation", "close")
EXIT_WEIGHTS = (8, 22, 28, 25, 17)
PHASE_OF: dict[str, int] = {}


def _t(kind: str, purpose: str, day: float, direction: str | None = None, **kw: str) -> Touch:
    touch = Touch(kind=kind, purpose=purpose, day=day, direction=direction)
    touch.stage_after = kw.get("stage")
    return touch


def skeleton(
    rng: random.Random, f: DealFactors, activities: tuple[int, int]
) -> tuple[list[tuple[int, Touch]], float, float]:
    """Return ``([(phase, touch)], expected_cycle_days, close_day)`` for the won path."""
    cycle = CYCLE_DAYS[f.segment] * math.exp(rng.gauss(0.0, 0.3))
    active = cycle * rng.uniform(0.85, 1.7)
    r = max(active - 14.0, 12.0)
    win = {
        2: (14.0, 14.0 + 0.4 * r),
        3: (14.0 + 0.4 * r, 14.0 + 0.7 * r),
        4: (14.0 + 0.7 * r, 14.0 + r),
    }
    close_day = 14.0 + r + rng.uniform(0.0, 2.0)

    def at(phase: int, lo: float = 0.0, hi: float = 1.0) -> float:
        a, b = win[phase]
        return a + (b - a) * rng.uniform(lo, hi)

    must: list[tuple[int, Touch]] = []
    opt: list[tuple[int, int, Touch]] = []
    lead = f.lead_source
    if lead == "inbound":
        must.append((0, _t("email", "inbound_lead", 0.0, "inbound")))
    elif lead == "partner":
        must.append((0, _t("note", "partner_referral", 0.0)))
    elif lead == "event":
        must.append((0, _t("email", "event_followup", 0.0, "outbound")))
    elif rng.random() < 0.5:
        must.append((0, _t("email", "outreach_reply", 0.0, "inbound")))
    intro = rng.uniform(0.6, 3.0)
    disc = rng.uniform(5.0, 12.0)
    must.append((0, _t("call", "intro", intro, stage="qualification")))
    must.append((1, _t("call", "discovery", disc, stage="discovery")))
    followup = _t("email", "discovery_followup", disc + rng.uniform(0.05, 1.2), "outbound")
    if f.bc_timing == "early":
        must.append((1, followup))
    else:
        opt.append((1, 1, followup))
    opt.append((3, 1, _t("note", "internal_note", disc + rng.uniform(0.02, 0.4))))
    demo_kind = "meeting" if f.segment != "smb" and rng.random() < 0.4 else "call"
    demo_day = at(2, 0.0, 0.45)
    opt.append((1, 2, _t(demo_kind, "demo", demo_day, stage="solution")))
    opt.append((1, 2, _t("email", "demo_followup", demo_day + rng.uniform(0.1, 1.5), "outbound")))
    tech_kind = "meeting" if f.segment == "enterprise" and rng.random() < 0.3 else "call"
    opt.append((2, 2, _t(tech_kind, "technical", at(2, 0.5, 1.0))))
    if f.segment != "smb":
        opt.append((2, 2, _t("meeting", "extra_meeting", at(2, 0.3, 0.9))))
    opt.append((3, 2, _t("email", "buyer_question", at(2), "inbound")))
    must.append((3, _t("email", "proposal", at(3, 0.0, 0.3), "outbound", stage="proposal")))
    pricing = _t("call", "pricing_call", at(3, 0.35, 1.0))
    eb_mode = rng.choice(("call", "email")) if f.eb_engaged else None
    if eb_mode == "call":
        must.append((3, pricing))
    else:
        opt.append((2, 3, pricing))
    if eb_mode == "email":
        must.append((3, _t("email", "eb_reply", at(3, 0.3, 0.9), "inbound")))
    opt.append((3, 3, _t("email", "buyer_checkin", at(3), "inbound")))
    opt.append((1, 4, _t("call", "negotiation", at(4, 0.0, 0.4), stage="negotiation")))
    opt.append((2, 4, _t("email", "procurement", at(4, 0.3, 0.8), "inbound")))
    opt.append((3, 4, _t("email", "legal", at(4, 0.5, 1.0), "outbound")))
    must.append((5, _t("email", "won", close_day, "inbound")))
    opt.append((3, 5, _t("note", "won_note", close_day + rng.uniform(0.01, 0.3))))

    lo, hi = activities
    target = rng.randint(lo, hi)
    if f.segment == "smb":
        target = lo + (target - lo) // 2
    elif f.segment == "enterprise":
        target = hi - (hi - target) // 2
    chosen = list(must)
    for _prio, phase, touch in sorted(opt, key=lambda o: (o[0], o[2].day)):
        if len(chosen) >= target:
            break
        chosen.append((phase, touch))
    fillers = (("email", "checkin", "outbound"), ("note", "internal_note", None))
    while len(chosen) < target:
        phase = rng.choice((2, 3, 4))
        if rng.random() < 0.3:
            kind, purpose, direction = "meeting", "extra_meeting", None
        else:
            kind, purpose, direction = fillers[rng.randrange(2)]
        chosen.append((phase, _t(kind, purpose, at(phase), direction)))
    chosen.sort(key=lambda pt: pt[1].day)
    return chosen, cycle, close_day


def exit_phase(rng: random.Random) -> int:
    """Phase after which a plainly lost deal ends (0 = qualification ... 4 = negotiation)."""
    return rng.choices(range(5), weights=EXIT_WEIGHTS)[0]


def assign_times(touches: list[Touch], created: datetime, tz: str, rng: random.Random) -> None:
    """Give every touch a real UTC time in office hours, strictly increasing."""
    prev = created
    for touch in touches:
        base = created + timedelta(days=touch.day)
        slot = touch.kind in ("call", "meeting")
        hours = (9, 17) if slot else (7, 19)
        at = business_time(base, tz, rng, slot=slot, hours=hours)
        if at <= prev:
            step = 30 if slot else rng.randint(7, 180)
            at = prev + timedelta(minutes=step)
        touch.at = at
        prev = at
