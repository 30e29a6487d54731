"""What the store (plus this import so far) knows about deal fields at any instant.

A CSV export is a snapshot: it should add an event only where it says something the
store does not already know at that instant. Rows of one file carry their own valid
times and a deal may appear at several of them, so instead of one
``memory.asof.deal_as_of`` query per row the log loads each deal's stored field events
in bulk and answers "value at t" in memory, applying the same precedence as
``memory.asof``: latest ``valid_from`` at or before ``t``, then latest ``recorded_at``,
then the later insert. Events this import adds are appended so later rows see them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from memory.ids import content_hash
from memory.importers.context import chunks
from memory.models import Deal, FieldChange

_Event = tuple[datetime, datetime, int, Any]  # valid_from, recorded_at, order, value


def snapshot_source_id(
    org_id: str, deal_source_id: str, field_name: str, value: Any, valid_from: datetime
) -> str:
    """Deterministic source id of a snapshot value, independent of the file it came from."""
    digest = content_hash(
        org_id,
        deal_source_id,
        field_name,
        json.dumps(value, sort_keys=True, default=str),
        valid_from.isoformat(),
    )
    return f"snapshot:{digest[:32]}"


@dataclass
class FieldLog:
    """Field events per ``(deal id, field)``: stored ones plus those this import adds."""

    events: dict[tuple[str, str], list[_Event]] = field(default_factory=dict)
    _order: int = 1 << 62  # pending events sort after every stored row id

    @classmethod
    def load(cls, session: Session, org_id: str, deal_ids: Iterable[str]) -> FieldLog:
        """Load every stored field event of these deals.

        When the deals are a large share of the org, one sequential scan of the org's
        events beats many ``IN (...)`` lookups scattered over the table; otherwise the
        ids are looked up in bounded batches, in the order given (rows imported together
        sit together).
        """
        log = cls()
        fc = FieldChange.__table__  # type: ignore[attr-defined]
        ids = list(dict.fromkeys(deal_ids))
        if not ids:
            return log
        columns = (fc.c.deal_id, fc.c.field, fc.c.value, fc.c.valid_from, fc.c.recorded_at, fc.c.id)
        deal_table = Deal.__table__  # type: ignore[attr-defined]
        org_deals = session.scalar(
            select(func.count()).select_from(deal_table).where(deal_table.c.org_id == org_id)
        )
        if len(ids) * 3 >= (org_deals or 0):
            wanted = set(ids)
            queries = [select(*columns).where(fc.c.org_id == org_id)]
        else:
            wanted = None
            queries = [
                select(*columns).where(fc.c.org_id == org_id, fc.c.deal_id.in_(list(part)))
                for part in chunks(ids)
            ]
        for query in queries:
            for deal_id, name, value, valid_from, recorded_at, row_id in session.execute(query):
                if wanted is None or deal_id in wanted:
                    log.events.setdefault((deal_id, name), []).append(
                        (valid_from, recorded_at, row_id, value)
                    )
        return log

    def add(
        self, deal_id: str, field_name: str, value: Any, valid_from: datetime, recorded_at: datetime
    ) -> None:
        """Record an event this import is about to write."""
        self._order += 1
        self.events.setdefault((deal_id, field_name), []).append(
            (valid_from, recorded_at, self._order, value)
        )

    def value_at(self, deal_id: str, field_name: str, at: datetime) -> tuple[bool, Any]:
        """Return ``(known, value)`` of a field at valid time ``at``."""
        best: _Event | None = None
        for event in self.events.get((deal_id, field_name), ()):
            if event[0] <= at and (best is None or event[:3] > best[:3]):
                best = event
        return (False, None) if best is None else (True, best[3])

    def has_field(self, deal_id: str, field_name: str) -> bool:
        """True if any event (stored or pending) exists for this deal field."""
        return bool(self.events.get((deal_id, field_name)))

    def diff(
        self,
        *,
        org_id: str,
        deal_id: str,
        deal_source_id: str,
        values: dict[str, Any],
        valid_from: datetime,
        recorded_at: datetime,
        source: str,
    ) -> tuple[list[dict[str, Any]], int]:
        """FieldChange records for the values that differ from what is known at ``valid_from``.

        Returns:
            The new change records (also added to the log) and how many values were unchanged.
        """
        changes: list[dict[str, Any]] = []
        unchanged = 0
        for name, value in values.items():
            known, old = self.value_at(deal_id, name, valid_from)
            if (known and old == value) or (not known and value is None):
                unchanged += 1
                continue
            self.add(deal_id, name, value, valid_from, recorded_at)
            changes.append(
                {
                    "org_id": org_id,
                    "deal_id": deal_id,
                    "field": name,
                    "value": value,
                    "valid_from": valid_from,
                    "recorded_at": recorded_at,
                    "source": source,
                    "source_id": snapshot_source_id(
                        org_id, deal_source_id, name, value, valid_from
                    ),
                }
            )
        return changes, unchanged
