"""Checkpoints that make whole-pipeline as-of reads fast without giving up exactness.

A checkpoint at instant ``S`` holds every deal's effective fields *as of S, as known at
S*, built from the field changes with ``id <= max_change_id``. It is derived data, a
pure function of immutable history, so it never goes stale: a read for ``(t, k)`` with
``S <= min(t, k)`` merges the checkpoint with exactly the changes it could not contain
(valid after S, recorded after S, or inserted after it was built), which is correct
even when old history is imported later.

Each checkpoint is one row holding two compressed JSON documents (deals open at S, deals
closed at S) plus the closed deals' ids. One row and one decode beat ten thousand rows
with one JSON value each: per-row fetch and decode dominated the pipeline read. A new
checkpoint is built from the previous one plus the changes since, so a weekly cadence
costs one read per week of history, not one pass over all of it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, and_, func, select
from sqlmodel import Field, Session, SQLModel

from memory.collector import collector_paused
from memory.db import UTCDateTime, utcnow
from memory.models import CLOSED_STAGES, FieldChange
from memory.sql import raw, unindexed

# (value, valid_from, recorded_at, change id): the value and the order key of the winning
# change; times as integer microseconds since the epoch to keep checkpoints compact. A
# tuple when folded from rows, the same four items as a list when decoded from a checkpoint.
FieldEntry = tuple[Any, int, int, int] | list[Any]
DealFields = dict[str, dict[str, FieldEntry]]

DEFAULT_EVERY_DAYS = 7
"""Checkpoint cadence: a read merges at most this many days of changes."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)


class PipelineCheckpoint(SQLModel, table=True):
    """One org's deal state at one instant (see the module docstring)."""

    __tablename__ = "pipeline_checkpoint"

    org_id: str = Field(primary_key=True)
    snap_at: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    max_change_id: int
    built_at: datetime = Field(sa_type=UTCDateTime)
    deals: int = 0
    open_state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    closed_state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    closed_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON))


def micros(value: datetime | str) -> int:
    """Exact integer microseconds since the epoch (order equals time order).

    Accepts a UTC-aware datetime or the naive UTC text SQLite returns for a raw column.
    """
    if isinstance(value, str):
        return (datetime.fromisoformat(value) - _EPOCH_NAIVE) // _US
    if value.tzinfo is None:
        return (value - _EPOCH_NAIVE) // _US
    return (value - _EPOCH) // _US


def _wins(new: FieldEntry, old: FieldEntry | None) -> bool:
    return old is None or (new[1], new[2], new[3]) > (old[1], old[2], old[3])


def fold(state: DealFields, rows: Iterable[tuple[Any, ...]]) -> None:
    """Fold change rows ``(deal_id, field, value, valid_from, recorded_at, id)`` into state.

    Times may be datetimes or raw SQLite text (see :func:`micros`).
    """
    for deal_id, name, value, valid_from, recorded_at, change_id in rows:
        fields = state.setdefault(deal_id, {})
        entry: FieldEntry = (value, micros(valid_from), micros(recorded_at), change_id)
        if _wins(entry, fields.get(name)):
            fields[name] = entry


def change_columns() -> tuple[Any, ...]:
    """Columns a fold reads, times without type processing (the hot path's main cost)."""
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    return (
        fc.c.deal_id,
        fc.c.field,
        fc.c.value,
        raw(fc.c.valid_from),
        raw(fc.c.recorded_at),
        fc.c.id,
    )


def _encode(state: DealFields) -> bytes:
    doc = {d: {k: list(v) for k, v in fields.items()} for d, fields in state.items()}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 1)


def _decode(blob: bytes) -> DealFields:
    # Entries stay the JSON lists: converting 60k of them to tuples doubled the decode time,
    # and everything that reads an entry only indexes it.
    return json.loads(zlib.decompress(blob))  # type: ignore[no-any-return]


def _is_closed(fields: dict[str, FieldEntry]) -> bool:
    return (fields.get("stage") or (None,))[0] in CLOSED_STAGES


def _max_change_id(session: Session, org_id: str) -> int:
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    return int(session.scalar(select(func.max(fc.c.id)).where(fc.c.org_id == org_id)) or 0)


def _full_state(session: Session, *, org_id: str, at: datetime, max_id: int) -> DealFields:
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    state: DealFields = {}
    query = select(*change_columns()).where(
        and_(
            fc.c.org_id == org_id,
            fc.c.valid_from <= at,
            fc.c.recorded_at <= at,
            fc.c.id <= max_id,
        )
    )
    fold(state, session.execute(query).tuples())
    return state


def _store(
    session: Session, *, org_id: str, snap_at: datetime, max_id: int, state: DealFields
) -> PipelineCheckpoint:
    open_deals = {d: f for d, f in state.items() if not _is_closed(f)}
    closed = {d: f for d, f in state.items() if d not in open_deals}
    run = session.get(PipelineCheckpoint, (org_id, snap_at)) or PipelineCheckpoint(
        org_id=org_id,
        snap_at=snap_at,
        max_change_id=max_id,
        built_at=utcnow(),
        open_state=b"",
        closed_state=b"",
    )
    run.max_change_id, run.built_at, run.deals = max_id, utcnow(), len(state)
    run.open_state, run.closed_state = _encode(open_deals), _encode(closed)
    run.closed_ids = sorted(closed)
    session.add(run)
    session.flush()
    return run


def build_checkpoint(session: Session, *, org_id: str, snap_at: datetime) -> PipelineCheckpoint:
    """Build (or rebuild) the checkpoint of ``org_id`` at ``snap_at`` from full history."""
    max_id = _max_change_id(session, org_id)
    state = _full_state(session, org_id=org_id, at=snap_at, max_id=max_id)
    return _store(session, org_id=org_id, snap_at=snap_at, max_id=max_id, state=state)


def ensure_checkpoints(
    session: Session,
    *,
    org_id: str,
    every_days: int = DEFAULT_EVERY_DAYS,
    now: datetime | None = None,
) -> list[datetime]:
    """Build missing checkpoints every ``every_days`` from the org's first change to now.

    Each is built from the newest earlier checkpoint plus the changes since (the same
    exact merge reads use). Returns the instants built. Cheap when nothing is missing.
    """
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    first = session.scalar(select(func.min(fc.c.valid_from)).where(fc.c.org_id == org_id))
    if first is None:
        return []
    now = now or utcnow()
    have = set(
        session.scalars(
            select(PipelineCheckpoint.snap_at).where(  # type: ignore[call-overload]
                PipelineCheckpoint.org_id == org_id
            )
        )
    )
    built = []
    at = first.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=every_days)
    while at <= now:
        if at not in have:
            max_id = _max_change_id(session, org_id)
            prev = latest_checkpoint(session, org_id=org_id, at_or_before=at)
            if prev is None:
                state = _full_state(session, org_id=org_id, at=at, max_id=max_id)
            else:
                state, _ = state_from_checkpoint(
                    session, prev, as_of=at, known_at=at, include_closed=True
                )
            _store(session, org_id=org_id, snap_at=at, max_id=max_id, state=state)
            built.append(at)
        at += timedelta(days=every_days)
    return built


def latest_checkpoint(
    session: Session, *, org_id: str, at_or_before: datetime
) -> PipelineCheckpoint | None:
    """The newest checkpoint of ``org_id`` at or before the instant, if any."""
    return session.scalars(
        select(PipelineCheckpoint)
        .where(
            PipelineCheckpoint.org_id == org_id,  # type: ignore[arg-type]
            PipelineCheckpoint.snap_at <= at_or_before,  # type: ignore[arg-type]
        )
        .order_by(PipelineCheckpoint.snap_at.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()


def _delta(
    session: Session, run: PipelineCheckpoint, *, as_of: datetime, known_at: datetime | None
) -> dict[int, tuple[Any, ...]]:
    """The changes visible at ``(as_of, known_at)`` that checkpoint ``run`` cannot hold."""
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    s, org = run.snap_at, fc.c.org_id == run.org_id
    valid, recorded = fc.c.valid_from, fc.c.recorded_at
    known = [unindexed(recorded) <= known_at] if known_at is not None else []
    known_range = [recorded <= known_at] if known_at is not None else []
    cols = change_columns()
    delta: dict[int, tuple[Any, ...]] = {}
    # Each query names the one index it must use; the other time column is wrapped so a
    # planner without statistics cannot pick its index and scan the org's whole history.
    for where in (
        [org, valid > s, valid <= as_of, *known],
        [org, recorded > s, *known_range, recorded > valid, unindexed(valid) <= min(s, as_of)],
    ):
        for row in session.execute(select(*cols).where(and_(*where))).tuples():
            delta[row[5]] = row
    # Inserted after the build: a primary-key range (org and times checked here, so the
    # planner cannot pick an org index and scan the org's whole history).
    as_of_us = micros(as_of)
    known_us = micros(known_at) if known_at is not None else None
    for org, *new in session.execute(
        select(fc.c.org_id, *cols).where(fc.c.id > run.max_change_id)
    ).tuples():
        if org != run.org_id or micros(new[3]) > as_of_us:
            continue
        if known_us is not None and micros(new[4]) > known_us:
            continue
        delta[new[5]] = tuple(new)
    return delta


def state_from_checkpoint(
    session: Session,
    run: PipelineCheckpoint,
    *,
    as_of: datetime,
    known_at: datetime | None,
    include_closed: bool,
) -> tuple[DealFields, set[str]]:
    """Every deal's effective fields at ``(as_of, known_at)`` using checkpoint ``run``.

    With ``include_closed=False`` deals closed at the checkpoint and untouched since are
    left out (they are still closed at ``as_of``); their ids are returned as the second
    element so callers can tell them from deals that have no fields yet.
    """
    with collector_paused():
        delta = _delta(session, run, as_of=as_of, known_at=known_at)
        touched = {row[0] for row in delta.values()}
        state = _decode(run.open_state)
        closed_ids = set(run.closed_ids or [])
        if include_closed:
            state.update(_decode(run.closed_state))
        elif touched & closed_ids:
            closed = _decode(run.closed_state)
            state.update({d: closed[d] for d in touched & closed_ids})
        fold(state, delta.values())
    skipped = set() if include_closed else closed_ids - touched
    return state, skipped
