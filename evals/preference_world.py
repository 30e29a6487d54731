"""Simulated reps for the preference evaluation: how they correct, a template drafter, a checker.

* :data:`CORRECTIONS`: per hidden preference (keys of ``evals.sim.style.CATALOGUE``) varied
  natural-language corrections, written independently of Keel's rules (slang, acronyms,
  indirect complaints) and combined with random openers and closers, so the learner can fail.
* :class:`TemplateDrafter`: a transparent stand-in for the LLM drafter. A draft has eight
  style "knobs" drawn at random; a retrieved preference sets a knob when its statement is
  close (embedding similarity) to one of the knob's instruction phrasings, i.e. it plays
  the part of a model reading the instruction. It never sees the hidden truth.
* :func:`broken_preferences`: the rep checks a draft's *text* against their hidden
  preferences, with detectors on the words actually written.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from memory.embeddings import Embedder
from memory.preference_models import Preference

CORRECTIONS: dict[str, list[str]] = {
    "cost_savings_framing": [
        "frame it around cost savings, not speed",
        "lead with how much money they'll save, not how fast it is",
        "the value here is cutting their costs, talk money saved instead of velocity",
        "stop selling speed, it's about lowering their costs",
        "emphasise the savings rather than how quick it is",
        "pitch the savings angle, nobody in finance cares about faster",
        "this should be about saving money, not about being fast",
        "focus on cost reduction instead of speed",
    ],
    "short_emails": [
        "too long, keep emails under 120 words",
        "way too wordy",
        "shorter please, nobody reads a wall of text",
        "keep it brief, under 120 words",
        "trim it down, my emails stay short",
        "make it more concise",
        "this is too long for an email",
        "cut it to a few lines",
    ],
    "no_exclamation": [
        "no exclamation marks",
        "lose the exclamation points",
        "drop the !s, it sounds desperate",
        "please don't use exclamation marks",
        "too many exclamation marks",
        "never put exclamation points in my emails",
        "calm down with the exclamation marks",
        "I hate exclamation points in customer emails",
    ],
    "bullet_next_steps": [
        "use bullet points for next steps",
        "put the next steps in a bulleted list",
        "next steps as bullets",
        "I want the next steps listed as bullet points, not a paragraph",
        "break the next steps into bullets",
        "can the next steps be a list? bullets",
        "format next steps as bullet points",
    ],
    "first_name_signoff": [
        "sign off with just my first name",
        "just my first name at the end, not the full signature",
        "drop my last name and title from the sign-off",
        "first name only in the signature",
        "end with my first name, nothing else",
        "sign it with my first name",
    ],
    "mention_map": [
        "mention the mutual action plan",
        "always reference our mutual action plan",
        "you forgot the mutual action plan, include it",
        "tie it back to the MAP we agreed",
        "bring up the joint plan we agreed on",
        "add a line about the mutual action plan",
    ],
    "customer_numbers_first": [
        "open with the customer's own numbers",
        "start with their numbers, not ours",
        "lead with the figures they gave us",
        "begin with the customer's metrics",
        "put their own data up front",
        "first thing should be the numbers they shared with us",
    ],
    "no_buzzwords": [
        "avoid buzzwords like game-changer",
        "no buzzwords",
        "cut the jargon like synergies",
        "drop the marketing speak",
        "stop saying game-changer",
        "less corporate jargon",
        "this reads like a brochure, remove the buzzwords",
    ],
}
OPENERS = ("", "", "no, ", "hmm, ", "again: ", "ugh, ", "Please ", "one thing: ", "ok but ")
CLOSERS = ("", "", "", " please", ", thanks", ".", " - ok?")
ABUSIVE_OPENERS = ("this is useless, ", "ugh, what crap, ")

KNOB_PHRASES: dict[str, list[str]] = {
    "cost_savings_framing": [
        "frame the value around cost savings",
        "emphasise how much money they save",
        "talk about lowering costs rather than speed",
    ],
    "short_emails": ["keep the email short", "brief emails under 120 words", "make it concise"],
    "no_exclamation": ["no exclamation marks", "avoid exclamation points"],
    "bullet_next_steps": ["use bullet points for next steps", "list the next steps as bullets"],
    "first_name_signoff": ["sign off with first name only", "just the first name in the signature"],
    "mention_map": ["mention the mutual action plan", "reference the mutual action plan"],
    "customer_numbers_first": [
        "open with the customer's own numbers",
        "lead with the figures the customer shared",
    ],
    "no_buzzwords": ["avoid buzzwords like game-changer", "no jargon or marketing speak"],
}
DEFAULT_BREAK: dict[str, float] = {
    "cost_savings_framing": 2 / 3,
    "short_emails": 0.6,
    "no_exclamation": 0.5,
    "bullet_next_steps": 0.6,
    "first_name_signoff": 0.6,
    "mention_map": 0.6,
    "customer_numbers_first": 0.6,
    "no_buzzwords": 0.5,
}
"""Chance that a draft made without a matching preference breaks each hidden preference."""
BUZZ = ("game-changer", "synergies", "best-in-class")


def correction_text(key: str, rng: random.Random, *, abusive_share: float = 0.05) -> str:
    """One varied correction of preference ``key`` in a rep's words."""
    opener = rng.choice(ABUSIVE_OPENERS) if rng.random() < abusive_share else rng.choice(OPENERS)
    body = rng.choice(CORRECTIONS[key])
    if opener.endswith(" ") and opener[:1].isupper():
        body = body[0].lower() + body[1:]
    return f"{opener}{body}{rng.choice(CLOSERS)}"


@dataclass
class Draft:
    """A drafted email and which knobs retrieved preferences set."""

    text: str
    set_by: dict[str, str] = field(default_factory=dict)


class TemplateDrafter:
    """Deterministic email drafter that applies preferences it understands.

    Args:
        embedder: Embeds preference statements and knob phrasings.
        threshold: Minimum similarity for a statement to set a knob.
    """

    def __init__(self, embedder: Embedder, *, threshold: float = 0.4) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self._keys = [k for k, ps in KNOB_PHRASES.items() for _ in ps]
        self._mat = embedder.embed([p for ps in KNOB_PHRASES.values() for p in ps])
        self._cache: dict[str, npt.NDArray[np.float32]] = {}

    def understood(self, statement: str) -> str | None:
        """The knob a preference statement sets, or ``None`` if it is not understood."""
        vec = self._cache.get(statement)
        if vec is None:
            vec = self._cache[statement] = self.embedder.embed([statement])[0]
        scores = self._mat @ vec
        best = int(np.argmax(scores))
        return self._keys[best] if float(scores[best]) >= self.threshold else None

    def draft(
        self,
        prefs: Sequence[Preference],
        *,
        contact: str,
        account: str,
        deal: str,
        rep_name: str,
        fleet: int,
        rng: random.Random,
    ) -> Draft:
        """Write one follow-up email; knobs not set by a preference are drawn at random."""
        set_by: dict[str, str] = {}
        for p in prefs:
            knob = self.understood(p.statement) if p.polarity != "allow" else None
            if knob is not None and knob not in set_by:
                set_by[knob] = p.id
        on = {k: (k in set_by) or rng.random() > DEFAULT_BREAK[k] for k in KNOB_PHRASES}
        bang = "." if on["no_exclamation"] else "!"
        lines = [f"Hi {contact},", ""]
        if on["customer_numbers_first"]:
            lines += [
                f"You mentioned your {fleet} vehicles lose hours to manual routing every week.",
                "",
            ]
        lines.append(f"Thanks for the time today{bang} Great to see {account} moving on {deal}.")
        if on["cost_savings_framing"]:
            value = "Routing this way would cut your fuel and overtime costs noticeably"
        else:
            value = rng.choice(
                ("Routing this way gets your plans done in minutes instead of hours",
                 "Live tracking and automated dispatch cover everything you listed")
            )  # fmt: skip
        if not on["no_buzzwords"]:
            value += f", a real {rng.choice(BUZZ)} for the team"
        lines.append(value + bang)
        if not on["short_emails"]:
            lines.append(
                "To give a bit more context, we have worked with many fleets of a similar size, "
                "and the pattern we usually see is that the first few weeks go into mapping "
                "depots, shifts and vehicle constraints, after which dispatchers start trusting "
                "the plans and stop re-planning by hand. We would be happy to walk your team "
                "through how that went for others, including what they measured before and "
                "after, which internal stakeholders were involved, and how long each step took. "
                "We can also share the security documentation and the integration guide."
            )
        if on["mention_map"]:
            lines.append("I've updated our mutual action plan with the dates below.")
        lines.append("")
        steps = ["confirm the pilot depots", "book the technical review", "share pricing"]
        if on["bullet_next_steps"]:
            lines += ["Next steps:"] + [f"- {s}" for s in steps]
        else:
            lines.append(f"As next steps, we will {steps[0]}, {steps[1]} and {steps[2]}.")
        lines += ["", "Best,"]
        first = rep_name.split()[0]
        lines += [first] if on["first_name_signoff"] else [rep_name, "Account Executive | Keelson"]
        return Draft("\n".join(lines), set_by)


def broken_preferences(text: str, held: Sequence[str]) -> list[str]:
    """The held preferences a draft's text breaks (checked on the words written)."""
    body = text.split("\nBest,")[0]
    last = text.strip().splitlines()[-1]
    checks = {
        "cost_savings_framing": lambda: "costs" not in body,
        "short_emails": lambda: len(text.split()) > 120,
        "no_exclamation": lambda: "!" in text,
        "bullet_next_steps": lambda: "\n- " not in text,
        "first_name_signoff": lambda: len(last.split()) > 1,
        "mention_map": lambda: "mutual action plan" not in text,
        "customer_numbers_first": lambda: not text.split("\n")[2].startswith("You mentioned"),
        "no_buzzwords": lambda: any(b in text for b in BUZZ),
    }
    return [k for k in held if k in checks and checks[k]()]
