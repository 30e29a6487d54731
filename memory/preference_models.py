"""The preference record Keel learns (user or org level), its evidence, and its validity.

A preference is never updated out of history: contradicted, removed or replaced ones are
*retired* (``valid_to`` set to the instant they stopped holding, with the reason), and
stay readable. Strength comes from distinct pieces of evidence, each weighted by the
channel it came from (an explicit correction in chat is strong; one draft edit is weak).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

Scope = Literal["user", "org"]
Channel = Literal["chat", "thread", "edit", "manual", "promotion"]
Polarity = Literal["do", "avoid", "allow"]
KINDS: tuple[str, ...] = (
    "tone",
    "framing",
    "structure",
    "content",
    "length",
    "channel",
    "timing",
    "other",
)
MAX_STATEMENT_CHARS = 300
MAX_QUOTE_CHARS = 600
MAX_EVIDENCE = 25


def _aware(value: datetime | None, what: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value


class Evidence(BaseModel):
    """One observation behind a preference.

    Attributes:
        channel: Where it was seen: ``chat`` correction, ``thread`` analysis, draft ``edit``,
            ``manual`` entry, or ``promotion`` (an org preference's supporting user preference).
        source_id: Message, thread, document or preference id; one source counts once.
        quote: The words or the diff it rests on (cut to 600 characters).
        user_id: The rep it came from.
        at: When it was observed.
        weight: How much it adds to the preference's strength (0..1).
    """

    channel: Channel
    source_id: str = Field(min_length=1, max_length=300)
    quote: str = ""
    user_id: str | None = None
    at: datetime
    weight: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("quote")
    @classmethod
    def _cut(cls, value: str) -> str:
        return value if len(value) <= MAX_QUOTE_CHARS else value[: MAX_QUOTE_CHARS - 1] + "…"

    @field_validator("at")
    @classmethod
    def _at_aware(cls, value: datetime) -> datetime:
        _aware(value, "Evidence.at")
        return value


class Preference(BaseModel):
    """A learned preference about how a rep (or the whole org) wants things written or done.

    Attributes:
        id: Point id in the store (a UUID string).
        org_id: The owning org; every read is filtered by it.
        scope: ``user`` (one rep) or ``org`` (shared; promoted or set by a manager).
        user_id: The rep for ``user`` scope; ``None`` for ``org`` scope.
        kind: tone, framing, structure, content, length, channel, timing or other.
        statement: Plain statement ("frame value around cost savings, not speed").
        polarity: ``do`` (wanted), ``avoid`` (unwanted) or ``allow`` (explicitly fine).
        target: What the statement is about ("cost savings", "exclamation marks").
        contrast: What it is set against, if any ("speed" in "... not speed").
        evidence: Observations, oldest first (at most 25: the first and the newest kept).
        times_seen: Distinct observations merged into it.
        first_seen: First observation.
        last_seen: Latest observation.
        strength: 0..1 from distinct evidence weights; applied once above the threshold.
        valid_from: When it started to hold.
        valid_to: When it stopped holding (``None`` = active).
        retired_reason: Why it was retired.
        retired_by: Who or what retired it (a user id or the contradicting preference id).
        holders: For org scope: the reps whose preferences support it.
        members: For org scope: ids of the supporting user preferences.
        opted_out: For org scope: reps who asked Keel to stop applying it to them.
        edited_by: Last person who edited the statement by hand.
        applied_count: How often it was applied to a draft or briefing.
        last_applied_at: When it was last applied.
    """

    id: str
    org_id: str = Field(min_length=1)
    scope: Scope
    user_id: str | None = None
    kind: str = "other"
    statement: str = Field(min_length=1, max_length=MAX_STATEMENT_CHARS)
    polarity: Polarity = "do"
    target: str = ""
    contrast: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    times_seen: int = Field(default=0, ge=0)
    first_seen: datetime
    last_seen: datetime
    strength: float = Field(default=0.0, ge=0.0, le=1.0)
    valid_from: datetime
    valid_to: datetime | None = None
    retired_reason: str | None = None
    retired_by: str | None = None
    holders: list[str] = Field(default_factory=list)
    members: list[str] = Field(default_factory=list)
    opted_out: list[str] = Field(default_factory=list)
    edited_by: str | None = None
    applied_count: int = 0
    last_applied_at: datetime | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        value = value.strip().lower()
        return value if value in KINDS else "other"

    @field_validator("first_seen", "last_seen", "valid_from", "valid_to", "last_applied_at")
    @classmethod
    def _times(cls, value: datetime | None) -> datetime | None:
        return _aware(value, "preference time")

    @model_validator(mode="after")
    def _scope_user(self) -> Preference:
        if self.scope == "user" and not self.user_id:
            raise ValueError("a user-scope preference needs a user_id")
        if self.scope == "org" and self.user_id is not None:
            raise ValueError("an org-scope preference has no user_id")
        return self

    @property
    def active(self) -> bool:
        """True while the preference holds (not retired)."""
        return self.valid_to is None

    def source_ids(self) -> set[str]:
        """Ids of the sources already counted (a source never counts twice)."""
        return {(e.channel + ":" + e.source_id) for e in self.evidence}

    def add_evidence(self, item: Evidence) -> bool:
        """Add one observation unless its source was already counted; recompute strength.

        Returns:
            True if it was new evidence.
        """
        if f"{item.channel}:{item.source_id}" in self.source_ids():
            return False
        self.evidence.append(item)
        self.evidence.sort(key=lambda e: e.at)
        if len(self.evidence) > MAX_EVIDENCE:
            self.evidence = [self.evidence[0], *self.evidence[-(MAX_EVIDENCE - 1) :]]
        self.times_seen += 1
        self.first_seen = min(self.first_seen, item.at)
        self.last_seen = max(self.last_seen, item.at)
        self.strength = min(1.0, round(self.strength + item.weight, 4))
        return True

    def applies_to(self, user_id: str) -> bool:
        """True if this active preference should shape ``user_id``'s work."""
        if not self.active:
            return False
        if self.scope == "user":
            return self.user_id == user_id
        return user_id not in self.opted_out
