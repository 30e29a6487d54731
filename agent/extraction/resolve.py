"""Who a chosen evidence line is about: attribution without asking the model.

The model points at a line; the line's speaker or author and the names it mentions are
known from parsing, so the person is decided here, deterministically: a first-person line
("I walked our CFO through it") is about its speaker, a third-person one ("Mark owns the
budget") about the person it names.
"""

from __future__ import annotations

import re

from agent.extraction.document import Document, Line, Person
from agent.extraction.names import NAME, first_name, is_person_name, normalise_name
from agent.extraction.rules import BUDGET_CUES

_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'll|I'd|me|my|mine|myself)\b")
_SELLER_ACTS = re.compile(r"^\s*(?:I|We|I've|We've|I'll|We'll)\b")
_OWN_BUDGET = re.compile(
    r"\bmy (?:own )?budget\b|\bI(?:'m| am)? (?:the one )?(?:who )?(?:own|hold|control|sign|approve|"
    r"fund)\b|\bI(?:'ll| will) be (?:the one )?sign|\bI(?:'m| am) the (?:budget|one who)|"
    r"\bas the budget (?:holder|owner)\b|\bI(?:'ll| will) be the one\b|\bI have the final\b",
    re.I,
)
_COMPANY_WORDS = frozenset(
    """inc ltd llc gmbh oy ab group co corp logistics freight distribution foods supply
    transport wholesale software systems solutions services partners holdings""".split()
)
_FULL_NAME = re.compile(NAME)


def _mentions(text: str, name: str) -> bool:
    norm = f" {normalise_name(text)} "
    full = normalise_name(name)
    return f" {full} " in norm or (bool(first_name(name)) and f" {first_name(name)} " in norm)


def people_named(doc: Document, text: str, *, exclude: str | None = None) -> list[Person]:
    """Known people whose full or first name occurs in ``text`` (not ``exclude``)."""
    found = [p for p in doc.people if p.name != exclude and _mentions(text, p.name)]
    firsts = [first_name(p.name) for p in found]
    # a first name shared by two people is ambiguous unless the full name is written
    return [
        p
        for p in found
        if firsts.count(first_name(p.name)) == 1
        or f" {normalise_name(p.name)} " in f" {normalise_name(text)} "
    ]


def new_names(doc: Document, text: str) -> list[str]:
    """Full names (two or more words) in ``text`` that parsing did not know about."""
    out = []
    for m in _FULL_NAME.finditer(text):
        name = m.group(0)
        words = name.split()
        if len(words) < 2 or not is_person_name(name):
            continue
        if {w.casefold().strip(".,") for w in words} & _COMPANY_WORDS:
            continue
        if doc.person(name) is None:
            out.append(name)
    return out


def _buyer(doc: Document, name: str | None) -> Person | None:
    person = doc.person(name)
    return person if person is not None and person.side != "seller" else None


def subject_of(doc: Document, line: Line) -> Person | str | None:
    """The buyer a line is about: its speaker when first-person, else the one it names.

    Returns a known :class:`Person`, a new full name found in the line, or ``None``.
    """
    if line.speaker is None and _SELLER_ACTS.match(line.text):
        return None  # the rep narrating what they did ("We presented the price ...")
    speaker = _buyer(doc, line.speaker)
    others = [p for p in people_named(doc, line.text, exclude=line.speaker) if p.side != "seller"]
    if speaker is not None and (_FIRST_PERSON.search(line.text) or not others):
        return speaker
    if len(others) == 1:
        return others[0]
    if not others:
        fresh = new_names(doc, line.text)
        if len(fresh) == 1:
            return fresh[0]
    return speaker


def budget_owner(doc: Document, line: Line) -> Person | str | None:
    """The person a budget line names as owner; the speaker when they say it is theirs."""
    others = [p for p in people_named(doc, line.text, exclude=line.speaker) if p.side != "seller"]
    if len(others) > 1:
        others = [_nearest_to_budget(line.text, others)]
    if len(others) == 1:
        return others[0]
    if not others:
        fresh = new_names(doc, line.text)
        if len(fresh) == 1:
            return fresh[0]
        if _OWN_BUDGET.search(line.text):
            return _buyer(doc, line.speaker)
    return None


_REPORTS = r"\s+(?:said|says|told|tells|mentioned|mentions|explained|noted|confirmed that)\b"


def _nearest_to_budget(text: str, people: list[Person]) -> Person:
    """Of several people named in a budget line, the one written closest to budget words.

    Someone reporting it ("Priya said the budget owner is Daniel") is not the owner.
    """
    cues = [m.span() for m in BUDGET_CUES.finditer(text)] or [(0, 0)]

    def spans(person: Person) -> list[tuple[int, int]]:
        first = person.name.split()[0]
        found = [m.span() for m in re.finditer(re.escape(person.name), text)]
        return found + [m.span() for m in re.finditer(rf"\b{re.escape(first)}\b", text)]

    def distance(person: Person) -> int:
        if any(re.match(_REPORTS, text[end:]) for _, end in spans(person)):
            return len(text) + 1
        gaps = [max(c0 - e, s - c1, 0) for s, e in spans(person) for c0, c1 in cues]
        return min(gaps, default=len(text))

    return min(people, key=distance)
