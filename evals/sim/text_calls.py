"""Call transcripts: multi-speaker dialogue built from a touch's beats."""

from __future__ import annotations

import random

from evals.sim import vocab
from evals.sim.lines_call import CALL
from evals.sim.lines_framing import COUNTER, PRODUCT
from evals.sim.people import Actor
from evals.sim.plan import Beat, Touch
from evals.sim.render import DealCtx, Doc, base_slots, beat_slots, choose, fill, variant_key

FILLERS = (
    "Mm-hm.", "Right.", "Got it.", "Makes sense.", "Okay.", "Yeah, that tracks.",
    "Sorry, you cut out for a second there.", "Sure.", "Yep.", "Interesting.",
)  # fmt: skip
SELLER_FILLERS = ("Can everyone see my screen?", "Let me share my screen.", "Good question.")
HELLOS = (
    "Hi all, joining from the depot today.", "Morning everyone.", "Hi, thanks for having me.",
    "Hello! Sorry, I'm on mobile, so I may drop off.", "Hi everyone, I'll mostly listen today.",
)  # fmt: skip
SELLER_HELLOS = (
    "Hi all, thanks for making the time.",
    "Good to see everyone.",
    "Thanks for jumping on.",
)
HEADERS = ("", "", "Call transcript: {co} / {us}", "Transcript (auto-generated)", "Recording: {co}")
GOODBYES = (
    "R|Thanks everyone, really useful. Speak soon.",
    "R|Great, I'll let you get on with your day. Thanks all.",
    "W|Thanks, bye for now.",
    "R|Appreciate the time. Have a good rest of the week.",
)  # fmt: skip


def _label(actor: Actor) -> str:
    if actor.side == "seller":
        return f"{actor.name} ({actor.title}, {vocab.SELLER_SHORT})"
    return f"{actor.name} ({actor.title})"


def _speaker(code: str, beat: Beat, touch: Touch) -> Actor:
    rep = touch.sellers[0]
    buyers = touch.buyers
    if code == "R":
        return rep
    if code == "S":
        return next((s for s in touch.sellers if "Solutions" in s.title), rep)
    if code == "W":
        return beat.who if beat.who is not None and beat.who in buyers else buyers[0]
    if code == "O":
        return beat.other if beat.other is not None and beat.other in buyers else buyers[0]
    others = [b for b in buyers if b is not beat.who]
    return others[0] if others else buyers[0]


def _turns(beat: Beat, rng: random.Random) -> tuple[str, ...] | None:
    if beat.kind == "product":
        return ("S|" + rng.choice(PRODUCT[beat.extra["framing"]]),)
    if beat.kind == "counter":
        return ("R|" + rng.choice(COUNTER[beat.extra["framing"]]),)
    bank = CALL.get(variant_key(beat, CALL))
    return choose(bank, beat, rng) if bank else None


def render_call(touch: Touch, ctx: DealCtx, rng: random.Random, doc: Doc) -> str:
    """Return the transcript text; ``doc`` collects the truth of what was said."""
    base = base_slots(ctx, touch, rng)
    stamp = rng.random() < 0.3
    lines: list[tuple[Actor, str]] = []
    for beat in touch.beats:
        turns = _turns(beat, rng)
        if turns is None:
            continue
        slots = beat_slots(base, beat, ctx, rng)
        for turn in turns:
            code, text = turn.split("|", 1)
            lines.append((_speaker(code, beat, touch), fill(text, slots, doc, beat)))
        doc.take(beat)
        if rng.random() < 0.25:
            who = rng.choice(touch.buyers + touch.sellers)
            pool = SELLER_FILLERS + FILLERS if who.side == "seller" else FILLERS
            lines.append((who, rng.choice(pool)))
    spoken = {a.name for a, _ in lines}
    pos = 2 if len(lines) > 2 else len(lines)
    for actor in touch.buyers + touch.sellers:
        if actor.name not in spoken:
            hello = SELLER_HELLOS if actor.side == "seller" else HELLOS
            lines.insert(pos, (actor, rng.choice(hello)))
    code, text = rng.choice(GOODBYES).split("|", 1)
    lines.append((touch.sellers[0] if code == "R" else touch.buyers[0], text))
    for actor, _ in lines:
        doc.mention(actor)
    out = []
    header = rng.choice(HEADERS).format(**base)
    if header:
        out += [header, ""]
    seconds = rng.randint(0, 20)
    for actor, text in lines:
        prefix = f"[{seconds // 60:02d}:{seconds % 60:02d}] " if stamp else ""
        out.append(f"{prefix}{_label(actor)}: {text}")
        seconds += rng.randint(8, 75)
    return "\n".join(out)
