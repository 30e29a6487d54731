"""Person names: what looks like one, how to normalise one, when two refer to the same person."""

from __future__ import annotations

import re
import unicodedata

_WORD = r"[A-Z\u00c0-\u00de](?:\.|[\w'’\-]*)"
_PARTICLE = r"(?:van|von|de|da|del|der|den|di|du|la|le|bin|al|ter|af)"
NAME = rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_WORD}){{0,3}}"
"""Regex of a capitalised name of one to four words (particles such as ``van`` allowed)."""

_NOT_NAMES = frozenset(
    """recording transcript note notes agenda summary next action actions attendees workshop
    meeting call re fwd fw subject date ps update tel phone mobile email web www from to cc sent
    thanks thank hi hello dear best regards cheers kind warm all team everyone speaker unknown
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december q1 q2 q3 q4 ok okay yes no sure great
    the a an and or our your their we i you they it this that hey morning afternoon evening
    quick just also sorry hope welcome confidential internal external customer buyer seller
    procurement legal finance security it ops operations sales support pricing proposal demo
    rep ae se cto ceo cfo coo cio vp svp evp gm director manager head lead analyst engineer
    chief officer president dispatcher planner specialist architect coordinator""".split()
)


def strip_accents(text: str) -> str:
    """Return ``text`` without diacritics (``Müller`` -> ``Muller``)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def clean_name(name: str) -> str:
    """Trim quotes, honorifics and stray punctuation from a name as written."""
    name = re.sub(r"\s+", " ", name).strip().strip("\"'“”‘’,;:.")
    name = re.sub(r"^(?:Dr|Mr|Mrs|Ms|Mx|Prof)\.?\s+", "", name)
    return name.strip()


def normalise_name(name: str | None) -> str:
    """Comparable form of a name: no accents, case or punctuation, single spaces."""
    if not name:
        return ""
    text = strip_accents(clean_name(name)).casefold()
    return re.sub(r"[^\w ]+", "", re.sub(r"[-’']", " ", text)).strip().replace("  ", " ")


def is_person_name(name: str) -> bool:
    """True if ``name`` looks like a person's name (1-4 capitalised words, no role words)."""
    words = name.split()
    if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in name):
        return False
    if not re.fullmatch(NAME, name):
        return False
    return not any(w.casefold().strip(".'’") in _NOT_NAMES for w in words)


def first_name(name: str) -> str:
    """The first word of a name, normalised."""
    norm = normalise_name(name)
    return norm.split(" ", 1)[0] if norm else ""


def same_person(a: str, b: str) -> bool:
    """True if two names refer to the same person (equal, or one is the other's first name)."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    short, long_ = (na, nb) if len(na.split()) < len(nb.split()) else (nb, na)
    return len(short.split()) == 1 and long_.split(" ", 1)[0] == short
