"""Emails: headers, greeting, paragraphs from beats, sign-off, signature and quoted replies.

Seller-written emails follow the rep's hidden style preferences most of the time
(:mod:`evals.sim.style`); buyer-written emails follow no style rules.
"""

from __future__ import annotations

import random
from datetime import timedelta

from evals.sim import vocab
from evals.sim.lines_email import BUYER, CLOSERS, GREETINGS, QUOTED, SELLER, SUBJECTS
from evals.sim.lines_framing import PRODUCT
from evals.sim.people import Actor
from evals.sim.plan import Beat, Touch
from evals.sim.render import DealCtx, Doc, base_slots, beat_slots, choose, variant_key
from evals.sim.style import ADHERENCE, Style
from evals.sim.timing import email_stamp

OPTIONAL = {"product", "bc_suggested", "next_proposed"}
"""Beats a rep who keeps emails short will drop; every other beat's words stay."""
Chunk = tuple[Beat | None, str, str]
NEXT_STEPS = (
    "I'll send over the security pack",
    "you'll share order volumes for a typical week",
    "we'll set up a sandbox with your depots",
    "I'll loop in our onboarding lead",
    "you'll check the integration questions with IT",
    "I'll draft the pilot success criteria",
)
COLD = {"dark_followup", "shock_reply", "pencil_in"}
"""Seller emails sent into silence or bad news: no cheerful opener."""
FIRST_CONTACT = {"inbound_lead", "event_followup"}
BUYER_QUOTES = (
    "Thanks, speak soon.",
    "Got it, thanks.",
    "Sounds good.",
    "Thanks for sending this.",
)


def _address(actors: list[Actor]) -> str:
    return ", ".join(f"{a.name} <{a.email}>" for a in actors)


def _paragraph(beat: Beat, seller: bool, rng: random.Random) -> str | None:
    if beat.kind == "product":
        return rng.choice(PRODUCT[beat.extra["framing"]]) if seller else None
    bank = SELLER if seller else BUYER
    options = bank.get(variant_key(beat, bank))
    return choose(options, beat, rng) if options else None


def _follows(style: Style, key: str, rng: random.Random) -> bool:
    return style.holds(key) and rng.random() < ADHERENCE


def _seller_extras(
    style: Style, base: dict[str, object], rng: random.Random, chunks: list[Chunk], *, warm: bool
) -> list[Chunk]:
    """Add style-driven paragraphs: the customer's numbers first, buzzwords, exclamations."""
    out = list(chunks)
    if _follows(style, "customer_numbers_first", rng) or rng.random() < 0.05:
        text = rng.choice(SELLER["numbers_first"]).format(**base)
        out.insert(0, (None, text, text))
    if not style.holds("no_buzzwords") and rng.random() < 0.25:
        text = rng.choice(SELLER["buzz"])
        out.append((None, text, text))
    if warm and not style.holds("no_exclamation") and rng.random() < 0.4:
        text = rng.choice(("Great to chat today!", "Hope you had a good weekend!", "Thanks again!"))
        out.insert(0, (None, text, text))
    return out


def _next_steps(style: Style, rng: random.Random) -> str:
    steps = rng.sample(NEXT_STEPS, rng.randint(2, 3))
    if _follows(style, "bullet_next_steps", rng):
        return "Next steps:\n" + "\n".join(f"- {s[0].upper()}{s[1:]}" for s in steps)
    return "As next steps, " + ", ".join(steps[:-1]) + " and " + steps[-1] + "."


def render_email(
    touch: Touch, ctx: DealCtx, style: Style, rng: random.Random, doc: Doc
) -> tuple[str, str]:
    """Return ``(subject, body)``; ``doc`` collects the truth of what was written."""
    author = touch.author or touch.sellers[0]
    seller = author.side == "seller"
    base = base_slots(ctx, touch, rng)
    buyers = touch.buyers
    if seller:
        to, cc = buyers[:1], buyers[1:]
    else:
        to, cc = [ctx.rep], [b for b in buyers if b is not author]
    for a in [author, *to, *cc]:
        doc.mention(a)
    chunks: list[Chunk] = []
    for beat in touch.beats:
        if beat.kind == "map" and not _wants_map(style, rng):
            continue
        template = _paragraph(beat, seller, rng)
        if template is not None:
            text = template.format(**beat_slots(base, beat, ctx, rng)).replace("..", ".")
            chunks.append((beat, template, text))
    if seller:
        chunks = _seller_extras(style, base, rng, chunks, warm=touch.purpose not in COLD)
        if touch.purpose not in ("dark_followup", "shock_reply") and rng.random() < 0.7:
            steps = _next_steps(style, rng)
            chunks.append((None, steps, steps))
        if _follows(style, "short_emails", rng):
            chunks = _shorten(chunks)
    for used, template, _ in chunks:
        if used is not None:
            _mentions(template, used, doc)
            doc.take(used)
    greet_to = to[0] if to else ctx.rep
    lines = [f"From: {_address([author])}", f"To: {_address(to)}"]
    if cc:
        lines.append(f"Cc: {_address(cc)}")
    lines += ["", rng.choice(GREETINGS).format(f=greet_to.first), ""]
    for _, _, text in chunks:
        lines += [text, ""]
    lines += [rng.choice(CLOSERS), _signature(author, ctx, style, rng)]
    if any(b is not None and b.kind == "injection" for b, _, _ in chunks) and rng.random() < 0.3:
        lines += ["", "--", "This message was scanned for viruses."]
    body = "\n".join(lines)
    if seller and _follows(style, "no_exclamation", rng):
        body = body.replace("!", ".")
    body += _quote(touch, ctx, author, rng)
    return _subject(touch, base, rng), body


def _wants_map(style: Style, rng: random.Random) -> bool:
    if style.holds("mention_map"):
        return rng.random() < ADHERENCE
    return rng.random() < 0.1


def _mentions(template: str, beat: Beat, doc: Doc) -> None:
    if "{w}" in template:
        doc.mention(beat.who)
    if "{o}" in template:
        doc.mention(beat.other)


def _shorten(chunks: list[Chunk]) -> list[Chunk]:
    """Drop optional paragraphs (from the end) until the email body is short."""
    out = list(chunks)
    while sum(len(text.split()) for _, _, text in out) > 95:
        idx = next(
            (i for i in range(len(out) - 1, -1, -1) if _optional(out[i][0])),
            None,
        )
        if idx is None:
            break
        out.pop(idx)
    return out


def _optional(beat: Beat | None) -> bool:
    return beat is None or beat.kind in OPTIONAL


def _signature(author: Actor, ctx: DealCtx, style: Style, rng: random.Random) -> str:
    if author.side == "seller":
        if _follows(style, "first_name_signoff", rng):
            return author.first
        return f"{author.name}\n{author.title} | {vocab.SELLER_COMPANY}"
    forms = (
        f"{author.name}\n{author.title}\n{ctx.company}",
        f"{author.name} | {author.title} | {ctx.company}",
        f"{author.first}\n\n{author.name}\n{author.title}, {ctx.company}\nSent from my phone",
    )
    return forms[rng.randrange(len(forms))]


def _quote(touch: Touch, ctx: DealCtx, author: Actor, rng: random.Random) -> str:
    if touch.at is None or touch.purpose in FIRST_CONTACT or rng.random() < 0.5:
        return ""
    other = ctx.rep if author.side == "buyer" else (touch.buyers[0] if touch.buyers else None)
    if other is None:
        return ""
    text = rng.choice(QUOTED if other.side == "seller" else BUYER_QUOTES)
    stamp = email_stamp(touch.at - timedelta(hours=rng.randint(3, 70)), ctx.tz)
    return f"\n\nOn {stamp}, {other.name} <{other.email}> wrote:\n> {text}\n> {other.first}"


def _subject(touch: Touch, base: dict[str, object], rng: random.Random) -> str:
    options = SUBJECTS.get(touch.purpose, ("Follow-up", "Re: Follow-up", "Quick note"))
    subject = rng.choice(options).format(**base)
    if not subject.startswith("Re:") and rng.random() < 0.3:
        subject = "Re: " + subject
    return subject
