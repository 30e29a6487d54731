"""Written notes: meeting notes (attendees, bullets, next steps) and reps' short CRM notes."""

from __future__ import annotations

import random

from evals.sim import vocab
from evals.sim.lines_framing import COUNTER_NOTES, PRODUCT_NOTES
from evals.sim.lines_notes import NOTES
from evals.sim.plan import Beat, Touch
from evals.sim.render import DealCtx, Doc, base_slots, beat_slots, choose, fill, variant_key

NEXT_KINDS = {"next_confirmed", "next_proposed", "next_vague"}
MEETING_TITLES = {
    "demo": ("Demo", "Product walkthrough", "Onsite demo"),
    "extra_meeting": ("Workshop", "Working session", "Onsite visit", "Process mapping workshop"),
}
DEFAULT_TITLES = ("Meeting notes", "Notes", "Session notes")
NOTE_TAILS = (
    "Reminder set for {n} weeks.",
    "Updated the opportunity in the CRM.",
    "Logged {n} minutes.",
    "Flagged to my manager in our {n}:1.",
    "Will mention it in Monday's pipeline review.",
    "Filed the recording in the deal folder.",
    "Task created for follow-up in {n} days.",
)


def _sentence(beat: Beat, rng: random.Random) -> str | None:
    if beat.kind == "product":
        return rng.choice(PRODUCT_NOTES[beat.extra["framing"]])
    if beat.kind == "counter":
        return rng.choice(COUNTER_NOTES[beat.extra["framing"]])
    bank = NOTES.get(variant_key(beat, NOTES))
    return choose(bank, beat, rng) if bank else None


def _sentences(
    touch: Touch, ctx: DealCtx, rng: random.Random, doc: Doc
) -> tuple[list[str], list[str]]:
    base = base_slots(ctx, touch, rng)
    body: list[str] = []
    nxt: list[str] = []
    introduced = {b.name for b in touch.buyers} if touch.kind == "meeting" else set()
    for beat in touch.beats:
        template = _sentence(beat, rng)
        if template is None:
            continue
        who = beat.who
        if who is not None and "{w}" in template and who.name not in introduced:
            # The first time a note names someone it gives their title too.
            if "{wt}" not in template:
                template = template.replace("{w}", "{w} ({wt})", 1)
            introduced.add(who.name)
        text = fill(template, beat_slots(base, beat, ctx, rng), doc, beat)
        doc.take(beat)
        (nxt if beat.kind in NEXT_KINDS else body).append(text)
    return body, nxt


def render_meeting(touch: Touch, ctx: DealCtx, rng: random.Random, doc: Doc) -> str:
    """Return meeting notes with an attendee line; ``doc`` collects the truth."""
    body, nxt = _sentences(touch, ctx, rng, doc)
    title = rng.choice(MEETING_TITLES.get(touch.purpose, DEFAULT_TITLES))
    buyers = ", ".join(f"{b.name} ({b.title})" for b in touch.buyers)
    sellers = ", ".join(s.name for s in touch.sellers)
    for b in touch.buyers:
        doc.mention(b)
    out = [f"{title}: {ctx.company}", f"Attendees: {buyers}; {sellers} ({vocab.SELLER_SHORT})", ""]
    if rng.random() < 0.6:
        out += [f"- {s}" for s in body]
    else:
        out.append(" ".join(body))
    if nxt:
        out += ["", "Next steps:"] + [f"- {s}" for s in nxt]
    return "\n".join(out)


def render_note(touch: Touch, ctx: DealCtx, rng: random.Random, doc: Doc) -> str:
    """Return a rep's short CRM note in prose."""
    body, nxt = _sentences(touch, ctx, rng, doc)
    if rng.random() < 0.6:
        body.append(rng.choice(NOTE_TAILS).format(n=rng.randint(2, 9)))
    return " ".join(body + nxt)
