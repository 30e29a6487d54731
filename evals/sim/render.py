"""Shared rendering machinery: slot filling, and the truth a rendered activity carries.

Truth is recorded from what is actually written: a beat contributes its signal only
when its words are emitted, and a stakeholder counts only when their full name appears.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from evals.sim import vocab
from evals.sim.people import Actor
from evals.sim.plan import Beat, Touch
from evals.sim.timing import MONTHS, WEEKDAYS, day_phrase, meeting_phrase

T = TypeVar("T")
CURRENCY_SIGN = {"USD": "$", "EUR": "€", "GBP": "£"}
TAGS = {
    "competitor_negated", "competitor_context", "enthusiast", "bc_suggested", "next_proposed",
    "next_vague", "injection", "small_talk", "eb_absent", "no_show", "dark_followup",
    "shock_champion_left", "shock_budget", "revival",
}  # fmt: skip


@dataclass
class DealCtx:
    """Per-deal constants used by every template of the deal."""

    company: str
    fleet: int
    depots: int
    currency: str
    eb: Actor
    rep: Actor
    tz: str
    product: str


def money(amount: float, currency: str, rng: random.Random) -> str:
    """Write an amount the way people do: '$84,000', '$84k' or '84,000 USD'."""
    sign = CURRENCY_SIGN.get(currency, "")
    whole = int(round(amount))
    style = rng.randrange(3)
    if style == 0 and whole >= 10_000 and whole % 1000 == 0:
        return f"{sign}{whole // 1000}k"
    if style == 1:
        return f"{whole:,} {currency}"
    return f"{sign}{whole:,}"


def _ebref(title: str, third: bool) -> str:
    short = "CFO" if title in ("CFO", "Chief Financial Officer") else title
    return f"{'their' if third else 'our'} {short}"


@dataclass
class Doc:
    """Accumulates the text-derived truth of one activity."""

    touch: Touch
    mentioned: dict[str, Actor] = field(default_factory=dict)
    champion: Actor | None = None
    eb: Actor | None = None
    eb_engaged: bool = False
    competitors: list[str] = field(default_factory=list)
    next_meeting: bool = False
    bc: bool = False
    pricing: bool = False
    risks: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    framing: str | None = None
    next_meeting_at: datetime | None = None

    def mention(self, actor: Actor | None) -> None:
        """Record that ``actor``'s full name appears in the text."""
        if actor is not None and actor.side == "buyer":
            self.mentioned.setdefault(actor.name, actor)

    def take(self, beat: Beat) -> None:
        """Record the signal carried by a beat whose words were emitted."""
        k = beat.kind
        if k == "champion_push" and beat.who is not None and beat.who.side == "buyer":
            self.champion = beat.who
        elif k in ("eb_attends", "eb_writes"):
            self.eb, self.eb_engaged = beat.who, True
        elif k == "eb_absent":
            self.eb = beat.who
        elif k in ("competitor", "competitor_lead", "loss_competitor") and beat.comp:
            if beat.comp not in self.competitors:
                self.competitors.append(beat.comp)
        elif k == "bc_shared":
            self.bc = True
        elif k == "pricing":
            self.pricing = True
        elif k == "next_confirmed":
            self.next_meeting, self.next_meeting_at = True, beat.when
        elif k == "risk" and beat.extra["risk"] not in self.risks:
            self.risks.append(beat.extra["risk"])
        elif k in ("shock_budget", "shock_champion_left"):
            risk = "budget freeze" if k == "shock_budget" else "champion left"
            if risk not in self.risks:
                self.risks.append(risk)
        elif k in ("product", "counter"):
            self.framing = beat.extra.get("framing")
        if k in TAGS and k not in self.tags:
            self.tags.append(k)

    def signals(self) -> dict[str, Any]:
        """The activity's truth in the extraction schema."""
        stakeholders = []
        for actor in self.mentioned.values():
            if self.champion is not None and actor.name == self.champion.name:
                role = "champion"
            elif self.eb is not None and actor.name == self.eb.name:
                role = "economic_buyer"
            else:
                role = actor.role
            stakeholders.append({"name": actor.name, "title": actor.title, "role": role})
        champ = self.champion
        return {
            "champion": (
                {"name": champ.name, "title": champ.title, "seniority": champ.seniority}
                if champ
                else None
            ),
            "economic_buyer": {"name": self.eb.name, "title": self.eb.title} if self.eb else None,
            "economic_buyer_engaged": self.eb_engaged,
            "competitors": list(self.competitors),
            "next_meeting_scheduled": self.next_meeting,
            "business_case_shared": self.bc,
            "pricing_discussed": self.pricing,
            "stakeholders": stakeholders,
            "risks": list(self.risks),
        }


def choose(options: Sequence[T], beat: Beat | None, rng: random.Random) -> T:
    """Pick a variant; a beat with ``extra["pick"]`` takes that one (no repeats in a series)."""
    if beat is not None and "pick" in beat.extra:
        return options[int(beat.extra["pick"]) % len(options)]
    return options[rng.randrange(len(options))]


def variant_key(beat: Beat, bank: dict[str, Any]) -> str:
    """Pick the most specific phrase-bank key for a beat (e.g. ``competitor:in-house``)."""
    k = beat.kind
    sub: str | None = None
    if beat.comp == "in-house":
        sub = "in-house"
    elif beat.comp == vocab.INCUMBENT:
        sub = "incumbent"
    elif k == "pricing":
        sub = "ballpark" if beat.extra.get("ballpark") else beat.extra.get("stage")
    elif k == "risk":
        sub = beat.extra["risk"]
    elif k == "closing":
        sub = beat.extra["reason"]
    elif k == "shock_recovery":
        sub = beat.extra.get("shock")
    elif k == "bc_shared" and beat.who is not None and beat.who.side == "buyer":
        sub = "buyer"
    elif k == "champion_push" and beat.who is not None:
        sub = beat.who.seniority
    if sub is not None and f"{k}:{sub}" in bank:
        return f"{k}:{sub}"
    return k


def base_slots(ctx: DealCtx, touch: Touch, rng: random.Random) -> dict[str, Any]:
    """Slots shared by every beat of one activity."""
    if touch.at is None:
        raise ValueError(f"touch {touch.purpose!r} has no time; assign times before rendering")
    at = touch.at
    recent = at - timedelta(days=rng.randint(1, 6))
    pct = rng.randint(7, 14)
    return {
        "co": ctx.company,
        "us": vocab.SELLER_SHORT,
        "repf": ctx.rep.first,
        "fleet": ctx.fleet,
        "depots": f"{ctx.depots} depot" + ("s" if ctx.depots != 1 else ""),
        "pct": pct,
        "pct2": pct + rng.randint(3, 8),
        "weeks": rng.choice((4, 5, 6, 8)),
        "months": rng.choice((6, 8, 9, 11, 14)),
        "ebref": _ebref(ctx.eb.title, False),
        "ebref3": _ebref(ctx.eb.title, True),
        "product": ctx.product,
        "event": vocab.EVENTS[rng.randrange(len(vocab.EVENTS))],
        "partner": vocab.PARTNERS[rng.randrange(len(vocab.PARTNERS))],
        "day": WEEKDAYS[recent.weekday() % 5],
        "today": f"{MONTHS[at.month - 1]} {at.day}",
    }


def beat_slots(
    base: dict[str, Any], beat: Beat, ctx: DealCtx, rng: random.Random
) -> dict[str, Any]:
    """Slots for one beat on top of the activity's base slots."""
    slots = dict(base)
    for key, actor in (("w", beat.who), ("o", beat.other)):
        if actor is not None:
            slots[key], slots[key + "f"], slots[key + "t"] = actor.name, actor.first, actor.title
    if beat.comp:
        slots["comp"] = beat.comp
    if beat.when is not None:
        if beat.kind.startswith("shock"):
            slots["day"] = day_phrase(beat.when, rng)
        else:
            slots["when"] = meeting_phrase(beat.when, ctx.tz, rng)
    if "amount" in beat.extra:
        slots["amt"] = money(beat.extra["amount"], ctx.currency, rng)
    return slots


def fill(template: str, slots: dict[str, Any], doc: Doc, beat: Beat) -> str:
    """Format a template and record the full names it wrote."""
    if "{w}" in template:
        doc.mention(beat.who)
    if "{o}" in template:
        doc.mention(beat.other)
    return template.format(**slots).replace("..", ".")
