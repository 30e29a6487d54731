"""Who takes part in each activity of a deal (the buying group and the seller team).

Attendance is where multi-threading happens: top reps bring three or more buyer
stakeholders into the first two weeks; single-threaded deals only ever talk to one
contact until late-stage procurement.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from evals.sim.latent import DealFactors
from evals.sim.people import AccountProfile, Actor
from evals.sim.plan import Touch

SELLER_AUTHORED = {
    "event_followup", "discovery_followup", "demo_followup", "proposal", "legal", "checkin",
    "dark_followup", "shock_reply", "pencil_in",
}  # fmt: skip
NOTES = {
    "partner_referral", "internal_note", "won_note", "no_show", "closing_dark", "closing_shock",
    "rescope", "loss_no_decision",
}  # fmt: skip


@dataclass
class Cast:
    """The deal's people."""

    rep: Actor
    se: Actor
    manager: Actor
    champion: Actor | None
    contact: Actor
    eb: Actor
    it: Actor
    procurement: Actor
    extras: list[Actor]
    messenger: Actor
    gone: set[str] = field(default_factory=set)


def make_cast(
    rng: random.Random, f: DealFactors, account: AccountProfile, rep: Actor, se: Actor, boss: Actor
) -> Cast:
    """Pick the champion (by the deal's latent seniority), main contact and the others."""
    people = account.people
    champion: Actor | None
    if f.champion_seniority == "exec":
        champion = people[1]
    elif f.champion_seniority == "director":
        champion = people[3] if rng.random() < 0.7 else people[2]
    elif f.champion_seniority == "manager":
        champion = people[5]
    elif f.champion_seniority == "ic":
        champion = people[-1] if rng.random() < 0.5 else people[6]
    else:
        champion = None
    contact = champion or (people[3] if rng.random() < 0.5 else people[5])
    extras = [p for p in people[1:] if p is not contact and p is not people[4]]
    rng.shuffle(extras)
    messenger = next(p for p in (people[1], people[3], people[2]) if p is not contact)
    return Cast(
        rep=rep,
        se=se,
        manager=boss,
        champion=champion,
        contact=contact,
        eb=people[0],
        it=people[2],
        procurement=people[4],
        extras=extras,
        messenger=messenger,
    )


def attend(rng: random.Random, f: DealFactors, cast: Cast, touch: Touch, eb_call: bool) -> None:
    """Fill ``buyers``, ``sellers``, ``author`` and ``direction`` of one touch."""
    p = touch.purpose
    multi, early = f.threading != "single", f.threading == "multi_early"
    contact, x = cast.contact, cast.extras
    touch.sellers = [cast.rep]
    buyers: list[Actor] = [contact]
    if p == "intro" and early:
        buyers.append(x[0])
    elif p == "discovery":
        if early:
            buyers += [x[1]] + ([x[0]] if rng.random() < 0.5 else [])
        elif multi and rng.random() < 0.4:
            buyers.append(x[0])
        if rng.random() < 0.3:
            touch.sellers.append(cast.se)
    elif p in ("demo", "extra_meeting") and multi:
        buyers += rng.sample(x[:4], rng.randint(1, 3))
    elif p == "technical" and multi:
        buyers = [cast.it] + ([contact] if contact is not cast.it and rng.random() < 0.6 else [])
    elif p == "pricing_call":
        if eb_call:
            buyers.append(cast.eb)
        if multi and rng.random() < 0.5:
            buyers.append(x[0])
    elif p == "negotiation" and rng.random() < 0.7:
        buyers.append(cast.procurement)
    elif p == "shock_reveal" and f.shock == "champion_left":
        buyers = [cast.messenger]
    if p in ("demo", "technical") and rng.random() < 0.75:
        touch.sellers.append(cast.se)
    if p in ("pricing_call", "negotiation") and rng.random() < 0.35:
        touch.sellers.append(cast.manager)
    buyers = [b for b in dict.fromkeys(buyers) if b.name not in cast.gone] or [cast.contact]
    if touch.kind == "note":
        touch.author, touch.buyers, touch.direction = cast.rep, buyers[:1], None
        return
    if touch.kind == "email":
        if p in SELLER_AUTHORED:
            touch.direction, touch.author = "outbound", cast.rep
        else:
            touch.direction = "inbound"
            if p == "eb_reply":
                buyers = [cast.eb, contact]
            elif p == "procurement":
                buyers = [cast.procurement, contact]
            elif p == "buyer_question" and multi:
                buyers = [rng.choice(x[:3]), contact]
            buyers = [b for b in dict.fromkeys(buyers) if b.name not in cast.gone] or [contact]
            touch.author = buyers[0]
        touch.buyers = buyers
        return
    touch.buyers = buyers
