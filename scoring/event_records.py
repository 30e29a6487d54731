"""The raw records feature building reads: a deal's events, the org's closes, times.

Times are float seconds since the epoch so the per-instant filters of
:mod:`scoring.deal_features` are cheap; :mod:`scoring.events` loads these records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from memory.models import CLOSED_LOST, CLOSED_WON

_EPOCH_NAIVE = datetime(1970, 1, 1)

Change = tuple[float, float, int, str, Any]
"""``(valid, recorded, change_id, field, value)``; plain tuples sort in (valid, recorded,
id) order, ids being unique."""


def secs(value: Any) -> float:
    """Seconds since the epoch of a raw timestamp (SQLite text or a datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return float((value - _EPOCH_NAIVE).total_seconds())
    return float(value.timestamp())


class Seconds(dict[Any, float]):
    """Cached :func:`secs`: many records share a timestamp (all fields set at creation).

    A dict whose misses are computed, so a hit costs one C-level lookup: bulk loaders
    bind ``cache.__getitem__`` and convert a few hundred thousand timestamps per pass.
    """

    def __missing__(self, value: Any) -> float:
        out = self[value] = secs(value)
        return out

    def __call__(self, value: Any) -> float:
        """Seconds since the epoch of a raw timestamp."""
        return self[value]


def to_datetime(seconds: float) -> datetime:
    """UTC-aware datetime of seconds since the epoch."""
    return datetime.fromtimestamp(seconds, tz=UTC)


@dataclass(slots=True)
class ActivityRow:
    """One activity without its text: who took part and when it happened and was recorded.

    Treated as immutable; not ``frozen`` because a frozen dataclass's ``__init__`` costs
    several times more, and ~10^5 of these are built per scoring pass.
    """

    activity_id: str
    kind: str
    direction: str | None
    buyers: tuple[str, ...]
    buyer_titles: tuple[str, ...]
    occurred: float
    recorded: float

    @property
    def is_buyer_activity(self) -> bool:
        """A call/meeting with a buyer present, or an inbound email/note from the buyer."""
        if self.kind in ("call", "meeting"):
            return bool(self.buyers)
        return self.direction == "inbound"

    @property
    def is_conversation(self) -> bool:
        """A call or meeting with the buyer present."""
        return self.kind in ("call", "meeting") and bool(self.buyers)


@dataclass
class DealEvents:
    """Every recorded fact about one deal, sorted, ready for as-of filtering.

    ``changes`` are ``(valid, recorded, change_id, field, value)`` in (valid, recorded, id)
    order; ``signals`` maps an activity id to ``(recorded, payload)`` in recorded order.
    """

    deal_id: str
    account_id: str
    created: float
    known: float
    changes: list[Change] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)
    signals: dict[str, list[tuple[float, dict[str, Any]]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Close:
    """One deal's close: when it happened, when Keel learned of it, the outcome, the owner."""

    deal_id: str
    at: float
    known: float
    won: bool
    owner: str | None


@dataclass
class OrgEvents:
    """Org-wide context: stage order, account attributes and every close (rep history)."""

    org_id: str
    stages: list[str]
    accounts: dict[str, tuple[str | None, str | None, str | None, float]]
    closes: list[Close]
    stage_at_until: dict[str, Any] = field(default_factory=dict)
    """Each deal's stage at ``until`` (as known then), when loaded with ``until``."""

    def open_deal_ids(self) -> list[str]:
        """Deals whose stage at ``until`` is not closed (requires loading with ``until``)."""
        return sorted(
            d for d, s in self.stage_at_until.items() if s not in (CLOSED_WON, CLOSED_LOST)
        )

    def stage_rank(self) -> dict[str, int]:
        """Position of each stage in the org's ordered stage list."""
        return {s: i for i, s in enumerate(self.stages)}
