"""Keep the router's arguments to what the user actually said.

A small model routing a follow-up ("now do the same for Acme Freight") tends to copy the
deal under discussion instead of the one the user just named, and to paraphrase a date
("last week" -> "2026-11-16", or a wrong day). Both are checked here, in Python: a deal
argument must be made of words the user typed (typos allowed), a pronoun for the deal under
discussion, or that deal when the message refers to it; otherwise the words the user typed
after "for", "on", "about" ... are used. A date argument the user did not type is replaced by
the date phrase found in the message when there is one. Access is still enforced by the
tools; this only makes the request that reaches them the one the user made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import SequenceMatcher

from agent.state import FocusDeal

_WORDS = re.compile(r"[a-z0-9]+")
# Words that say nothing about which deal is meant.
_GENERIC = {
    "the", "a", "an", "deal", "deals", "opportunity", "opp", "account", "one", "my", "our",
    "renewal", "expansion", "new", "with", "for", "on", "of", "and", "s", "inc", "corp",
}  # fmt: skip
# The message points at the deal under discussion.
_REFERS_TO_FOCUS = re.compile(
    r"\b(it|its|it's|this|that|these|those|them|they|their|same deal|same one|there)\b", re.I
)
# Where a deal name starts in a request: "... for <deal>", "... on <deal>".
_DEAL_AFTER = re.compile(r"\b(?:for|on|about|with|of|to|at|re)\s+(?:the\s+)?(.+)$", re.I)
_DATE_START = re.compile(r"\b(?:since|as of|from|at|on|back in|in|by|before)\s+", re.I)
_SIMILAR = 0.8


def _content_words(text: str) -> list[str]:
    return [w for w in _WORDS.findall(text.lower()) if w not in _GENERIC]


def typed_by_user(reference: str, text: str) -> bool:
    """True if a distinctive word of ``reference`` is (close to) a word of ``text``."""
    said = set(_WORDS.findall(text.lower()))
    return any(
        w in said or any(SequenceMatcher(None, w, s).ratio() >= _SIMILAR for s in said)
        for w in _content_words(reference)
    )


def refers_to_focus(text: str) -> bool:
    """True if the message points at the deal under discussion ("it", "that deal")."""
    return bool(_REFERS_TO_FOCUS.search(text))


def named_deal(text: str) -> str:
    """The part of the message that names a deal: the words after "for"/"on"/... if any."""
    match = _DEAL_AFTER.search(text)
    phrase = match.group(1) if match else text
    return phrase.strip(" ?.!,;:'\"")


def ground_deal(reference: str, text: str, focus: FocusDeal | None, *, pronouns: set[str]) -> str:
    """Return the deal reference the user made in ``text`` (the model's, if it is theirs)."""
    said = " ".join(_WORDS.findall(reference.lower()))
    if said in pronouns or typed_by_user(reference, text):
        return reference
    if focus is not None and refers_to_focus(text):
        return focus["name"]
    named = _DEAL_AFTER.search(text)
    if named is None and focus is not None:
        return focus["name"]  # an elliptical follow-up ("and the score?") names no deal
    return named_deal(text)


def date_phrase(text: str, parses: Callable[[str], bool]) -> str | None:
    """The first date phrase in ``text`` that ``parses`` accepts ("since last monday")."""
    for match in _DATE_START.finditer(text):
        words = text[match.end() :].strip(" ?.!,;:").split()
        # Longest prefix that parses: "last monday for acme" -> "last monday".
        for end in range(len(words), 0, -1):
            phrase = " ".join(words[:end])
            if parses(phrase):
                return phrase
    return None


def ground_date(value: str, text: str, parses: Callable[[str], bool]) -> str:
    """Return ``value`` if the user typed it, else the date phrase in ``text`` (if any)."""
    if value and value.lower() in text.lower():
        return value
    found = date_phrase(text, parses)
    return found if found is not None else value
