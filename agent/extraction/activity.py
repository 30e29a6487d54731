"""The data extraction works on: an activity, its numbered lines and the people in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.extraction.names import same_person


@dataclass
class Person:
    """Someone in the activity (buyer, seller or unknown side).

    Attributes:
        name: Full name as written (or the best one found).
        title: Job title when the text or the participant list gives it.
        side: ``"buyer"``, ``"seller"`` or ``None`` (unknown).
        spoke: Spoke on the call, or wrote the email or a message quoted in its thread.
        attended: Listed as attending (attendee line, participant list of a call/meeting).
    """

    name: str
    title: str | None = None
    side: str | None = None
    email: str | None = None
    spoke: bool = False
    attended: bool = False


@dataclass(frozen=True)
class Line:
    """One numbered line of the activity with the person it belongs to.

    Attributes:
        number: 1-based number shown to the model.
        text: The line's text (a turn's words, a sentence, a bullet), quoted as evidence.
        speaker: Who said/wrote it (``None``: narration, e.g. a note).
        structural: A header, label or signature line (never evidence of a signal).
        quoted: Part of quoted or forwarded history.
    """

    number: int
    text: str
    speaker: str | None = None
    structural: bool = False
    quoted: bool = False


@dataclass
class ActivityInput:
    """One activity as extraction sees it (from the store, a file or a test)."""

    body: str
    kind: str = "note"
    subject: str | None = None
    participants: list[dict[str, Any]] = field(default_factory=list)
    direction: str | None = None
    occurred_at: datetime | None = None


@dataclass
class Document:
    """An activity read deterministically: lines, people and what kind of text it is."""

    kind: str
    lines: list[Line]
    people: list[Person]
    transcript: bool = False

    def person(self, name: str | None) -> Person | None:
        """The person matching ``name`` (full name or an unambiguous first name)."""
        if not name:
            return None
        found = [p for p in self.people if same_person(p.name, name)]
        return found[0] if len(found) == 1 else None

    def buyers(self) -> list[Person]:
        """People not known to be on the seller's side."""
        return [p for p in self.people if p.side != "seller"]
