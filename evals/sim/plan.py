"""The plan of one deal before it becomes text: touches (activities), beats and dates.

A *beat* is one thing that happens in an activity (the champion pushing internally, a
competitor named, a meeting booked...). Renderers turn beats into language and record
exactly which extraction-schema signals the resulting text carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evals.sim.people import Actor


@dataclass
class Beat:
    """One event inside an activity; ``kind`` selects the phrase bank."""

    kind: str
    who: Actor | None = None
    other: Actor | None = None
    comp: str | None = None
    when: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Touch:
    """One planned activity of a deal."""

    kind: str  # call | meeting | email | note
    purpose: str
    day: float  # days after deal creation (before real times are assigned)
    buyers: list[Actor] = field(default_factory=list)
    sellers: list[Actor] = field(default_factory=list)
    author: Actor | None = None
    direction: str | None = None
    beats: list[Beat] = field(default_factory=list)
    at: datetime | None = None
    stage_after: str | None = None
    late_log: bool = False
    order: int = 0  # position in a series of similar touches (follow-ups), for variety

    @property
    def is_meeting(self) -> bool:
        """A call or meeting with at least one buyer attending."""
        return self.kind in ("call", "meeting") and bool(self.buyers)

    def add(self, kind: str, **kwargs: Any) -> Beat:
        """Append a beat and return it."""
        beat = Beat(kind, **kwargs)
        self.beats.append(beat)
        return beat


@dataclass
class DealPlan:
    """Everything that happens to one deal, in valid time, before truncation at the sim end."""

    created_at: datetime
    touches: list[Touch]
    stages: list[tuple[datetime, str]]
    expected_close: datetime
    closed_at: datetime
    outcome: str  # won | lost
    loss_reason: str | None
    champion: Actor | None
    eb: Actor
    contact: Actor
    shock_at: datetime | None = None
    shock_touch: Touch | None = None
    dark_from: datetime | None = None
    dark_to: datetime | None = None
    revived: bool = False
    regression: bool = False
