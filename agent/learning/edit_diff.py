"""What a rep's edit of a draft shows: a word-level difflib diff read by deterministic detectors.

Pure functions, no store: the size check comes first (bounded work), then the diff is split
into fact changes (names, numbers, dates: never style) and style observations (exclamation
marks removed, much shorter, bullets added, a shorter sign-off, a phrase replaced or
dropped every time).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field

from agent.learning.classify import classify_kind
from agent.learning.facts import span_is_factual
from agent.learning.settings import LearningSettings
from memory.preference_models import Polarity

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S")
_WORDS = re.compile(r"\S+")
_TOKENS = re.compile(r"[\w$€£@][\w'’.,:/@%$-]*[\w%]|[\w$€£]|[^\w\s]")
_SHORT_SPAN = 6
_STOP = {
    "the", "a", "an", "and", "or", "to", "of", "in", "on", "for", "with", "is", "are", "be",
    "it", "this", "that", "we", "you", "i", "our", "your", "as", "at", "so", "very", "just",
}  # fmt: skip


class EditTooLargeError(ValueError):
    """The draft or the edit is too large to diff within the configured bounds."""


@dataclass(frozen=True)
class Observation:
    """One style preference an edit suggests.

    Attributes:
        statement: Plain statement.
        kind: Preference kind.
        polarity: ``do`` or ``avoid``.
        target: The wanted part.
        contrast: What was replaced.
        quote: The diff it rests on.
    """

    statement: str
    kind: str
    polarity: Polarity
    target: str
    contrast: str
    quote: str


@dataclass
class EditAnalysis:
    """Everything read from one edit."""

    observations: list[Observation] = field(default_factory=list)
    fact_changes: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    words_before: int = 0
    words_after: int = 0


def check_size(draft: str, edited: str, settings: LearningSettings) -> None:
    """Refuse inputs beyond the bounds before any diffing.

    Raises:
        EditTooLargeError: Too many lines or characters (the message says which and the limit).
    """
    for name, text in (("draft", draft), ("edited text", edited)):
        lines = text.count("\n") + 1
        if lines > settings.max_edit_lines:
            raise EditTooLargeError(
                f"the {name} has {lines:,} lines; Keel learns from drafts of at most "
                f"{settings.max_edit_lines:,} lines. Send the draft you changed, not a whole file."
            )
        if len(text) > settings.max_edit_chars:
            raise EditTooLargeError(
                f"the {name} has {len(text):,} characters; the limit is "
                f"{settings.max_edit_chars:,}. Send the draft you changed, not a whole file."
            )


def _last_lines(text: str, n: int = 2) -> list[str]:
    return [ln.strip() for ln in text.strip().splitlines() if ln.strip()][-n:]


def _signoff(draft: str, edited: str) -> Observation | None:
    before, after = _last_lines(draft, 3), _last_lines(edited, 3)
    if not before or not after or before == after:
        return None
    name_after = after[-1]
    first = name_after.split()[0] if name_after.split() else ""
    full = next((ln for ln in before if ln.startswith(first + " ")), None) if first else None
    if len(name_after.split()) == 1 and first.isalpha() and full is not None:
        quote = f"{' / '.join(before)} -> {' / '.join(after)}"
        return Observation(
            "sign off with first name only", "structure", "do", "first name only", "full name",
            quote,
        )  # fmt: skip
    return None


def _without_signoff(text: str) -> str:
    lines = text.rstrip().splitlines()
    return "\n".join(lines[:-3]) if len(lines) > 3 else text


def _span_text(tokens: list[str], i: int, j: int) -> str:
    return re.sub(r" ([,.;:!?)])", r"\1", " ".join(tokens[i:j]))


def _meaningful(text: str) -> bool:
    words = [w.strip(".,;:!?\"'()").lower() for w in text.split()]
    return any(w and w not in _STOP for w in words)


def analyse_edit(draft: str, edited: str, settings: LearningSettings) -> EditAnalysis:
    """Diff a draft against the rep's edited version and read what it shows.

    Raises:
        EditTooLargeError: The inputs exceed the configured bounds.
    """
    check_size(draft, edited, settings)
    a, b = _WORDS.findall(draft), _WORDS.findall(edited)
    out = EditAnalysis(words_before=len(a), words_after=len(b))
    obs: list[Observation] = []
    if draft.count("!") > 0 and edited.count("!") == 0:
        obs.append(
            Observation("no exclamation marks", "tone", "avoid", "exclamation marks", "",
                        f"{draft.count('!')} '!' removed")
        )  # fmt: skip
    if len(a) >= 60 and len(b) <= 0.75 * len(a):
        bound = int(math.ceil(len(b) / 10.0) * 10 + 10)
        obs.append(
            Observation(f"keep it short (under {bound} words)", "length", "do",
                        f"short under {bound} words", "", f"{len(a)} -> {len(b)} words")
        )  # fmt: skip
    elif len(a) >= 30 and len(b) >= 1.4 * len(a):
        obs.append(
            Observation("add more detail", "length", "do", "more detail", "",
                        f"{len(a)} -> {len(b)} words")
        )  # fmt: skip
    bullets_before = sum(bool(_BULLET.match(ln)) for ln in draft.splitlines())
    bullets_after = sum(bool(_BULLET.match(ln)) for ln in edited.splitlines())
    if bullets_after >= bullets_before + 2:
        about = "next steps" if re.search(r"next steps?", edited, re.IGNORECASE) else "lists"
        obs.append(
            Observation(f"use bullet points for {about}", "structure", "do",
                        f"bullet points for {about}", "",
                        f"{bullets_before} -> {bullets_after} bullet lines")
        )  # fmt: skip
    body_a, body_b = draft, edited
    if (sign := _signoff(draft, edited)) is not None:
        obs.append(sign)
        body_a, body_b = _without_signoff(draft), _without_signoff(edited)
    a, b = _TOKENS.findall(body_a), _TOKENS.findall(body_b)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=True)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = _span_text(a, i1, i2), _span_text(b, j1, j2)
        out.changes.append(f"- {old!r} -> {new!r}")
        if old and new and span_is_factual(old) and span_is_factual(new):
            out.fact_changes.append(f"{old} -> {new}")
            continue
        old_c, new_c = old.strip(" .,;:!?\"'()"), new.strip(" .,;:!?\"'()")
        if tag == "replace" and i2 - i1 <= _SHORT_SPAN and j2 - j1 <= _SHORT_SPAN:
            if _meaningful(old_c) and _meaningful(new_c) and old_c.lower() != new_c.lower():
                statement = f"write '{new_c}' instead of '{old_c}'"
                obs.append(
                    Observation(statement, classify_kind(statement, new_c), "do", new_c, old_c,
                                f"{old} -> {new}")
                )  # fmt: skip
        elif (
            tag == "delete"
            and i2 - i1 <= _SHORT_SPAN
            and _meaningful(old_c)
            and not span_is_factual(old_c)
        ):
            statement = f"avoid '{old_c}'"
            obs.append(
                Observation(statement, classify_kind(statement, old_c), "avoid", old_c, "",
                            f"removed {old!r}")
            )  # fmt: skip
    out.observations = obs[: settings.max_edit_statements]
    return out
