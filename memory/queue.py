"""Durable queue of dirty keys, kept in the same database as the data.

Writers mark keys dirty in the same transaction as the events that made them dirty, so
no change is lost between the two. There is one row per key: marking an already-dirty
key only bumps its ``version`` (coalescing). Every row also carries the deal and account
it belongs to, so a parent can wait until none of its children are pending. Keys that
kept failing sit in the dead-letter table with their error. The worker side (claims,
leases, retries) is :mod:`agent.cascade.leases` and :mod:`agent.cascade.settle`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    Index,
    String,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    event,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlmodel import Column, Field, Session, SQLModel

from memory.db import UTCDateTime, utcnow
from memory.sql import dialect_name, upsert_insert

LEVELS = ("activity", "deal", "account", "pipeline", "training")
Scope = tuple[str | None, str | None]
"""``(deal_id, account_id)`` a key belongs to."""


class DirtyKey(SQLModel, table=True):
    """A key whose derived state must be recomputed (e.g. ``deal:<id>``)."""

    __tablename__ = "dirty_key"
    # A writer pays for every index on every new key (one activity key per event; each
    # index adds ~75 bytes of WAL per key on PostgreSQL). Only the claim order and one
    # index per scope a parent waits on; both lead with the org, so they also answer the
    # pipeline's wait and per-org counts without a third index (see ``claim``).
    __table_args__ = (
        Index("ix_dirty_key_claim", "level", "first_marked_at"),
        Index("ix_dirty_key_org_deal", "org_id", "deal_id", "level"),
        Index("ix_dirty_key_org_account", "org_id", "account_id", "level"),
    )

    key: str = Field(primary_key=True)
    org_id: str
    level: str
    deal_id: str | None = None
    account_id: str | None = None
    version: int = 1
    first_marked_at: datetime = Field(sa_type=UTCDateTime)
    last_marked_at: datetime = Field(sa_type=UTCDateTime)
    attempts: int = 0
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = None
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_version: int | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))


# Claims and releases rewrite rows without touching indexed columns; free space on each
# page lets PostgreSQL do that as heap-only updates (measured ~2-3x faster claims).
event.listen(
    DirtyKey.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL("ALTER TABLE dirty_key SET (fillfactor = 50)").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)


class DeadKey(SQLModel, table=True):
    """A key that failed ``max_attempts`` times, with its last error (the dead letters)."""

    __tablename__ = "dead_key"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True)
    org_id: str = Field(index=True)
    level: str
    version: int
    attempts: int
    error: str = Field(sa_column=Column(Text, nullable=False))
    first_marked_at: datetime = Field(sa_type=UTCDateTime)
    failed_at: datetime = Field(sa_type=UTCDateTime)


def level_of(key: str) -> str:
    """Return the level of a key such as ``deal:abc`` (its prefix)."""
    level = key.split(":", 1)[0]
    if level not in LEVELS or ":" not in key:
        raise ValueError(f"unknown queue level in key {key!r}; expected one of {LEVELS}")
    return level


def _table() -> Any:
    return DirtyKey.__table__  # type: ignore[attr-defined]


def in_list(session: Session, column: Any, values: Sequence[str]) -> Any:
    """Return ``column IN values`` with the whole list bound as one parameter.

    The list is bound as one JSON document (``json.dumps`` is C; psycopg adapts a list
    of strings element by element, ~25x slower), so large batches neither re-render the
    statement nor hit bind-parameter limits. On PostgreSQL the document becomes an array
    once (``= ANY(ARRAY(...))``), which the planner answers by index lookups.
    """
    doc = bindparam(None, json.dumps(list(values)), type_=String)
    if dialect_name(session) == "postgresql":
        elements = select(func.json_array_elements_text(cast(doc, JSON)))
        return column == any_(func.array(elements.scalar_subquery()))
    ids: Any = select(literal_column("value")).select_from(func.json_each(doc))
    return column.in_(ids)


def org_is(column: Any, org_id: str) -> Any:
    """Return ``column = org_id`` as a filter that never picks the org index.

    Next to a list of ids, SQLite (without ANALYZE statistics) prefers the org index and
    scans the whole org; comparing ``column || ''`` keeps it on the id lookup.
    """
    return column.concat("") == org_id


def _upsert(session: Session, stmt: Any) -> Any:
    table = _table()
    return stmt.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"version": table.c.version + 1, "last_marked_at": stmt.excluded.last_marked_at},
    )


def _mark_looked_up(
    session: Session, org_id: str, level: str, ids: list[str], now: datetime
) -> None:
    """Insert-or-bump keys of ``level`` whose scope comes from the records themselves.

    Runs as ``INSERT ... SELECT`` so the lookup never leaves the database; a key whose
    record does not exist (in this org) is not queued, as there is nothing to recompute.
    """
    from memory.models import Activity, Deal  # local: models import nothing from here

    table = _table()
    act = Activity.__table__  # type: ignore[attr-defined]
    deal = Deal.__table__  # type: ignore[attr-defined]
    consts = [
        literal(org_id).label("org_id"),
        literal(level).label("level"),
        literal(1).label("version"),
        literal(now, UTCDateTime).label("first_marked_at"),
        literal(now, UTCDateTime).label("last_marked_at"),
        literal(0).label("attempts"),
    ]
    if level == "activity":
        query = (
            select(
                (literal("activity:") + act.c.id).label("key"),
                act.c.deal_id,
                func.coalesce(deal.c.account_id, act.c.account_id).label("account_id"),
                *consts,
            )
            .select_from(act.outerjoin(deal, deal.c.id == act.c.deal_id))
            .where(in_list(session, act.c.id, ids), org_is(act.c.org_id, org_id))
            .order_by(act.c.id)
        )
    else:
        query = (
            select(
                (literal(f"{level}:") + deal.c.id).label("key"),
                deal.c.id.label("deal_id"),
                deal.c.account_id,
                *consts,
            )
            .where(in_list(session, deal.c.id, ids), org_is(deal.c.org_id, org_id))
            .order_by(deal.c.id)
        )
    names = [c.name for c in query.selected_columns]
    stmt = upsert_insert(session, table).from_select(names, query)
    session.execute(_upsert(session, stmt))


def _mark_known(
    session: Session,
    org_id: str,
    rows: list[tuple[str, str, str | None, str | None]],
    now: datetime,
) -> None:
    """Insert-or-bump ``(key, level, deal_id, account_id)`` rows bound as one parameter.

    One JSON document of rows: a batch of any size is one short statement (a multi-row
    VALUES insert costs more to build than to run, and psycopg adapts arrays of strings
    element by element).
    """
    cols = ("key", "level", "deal_id", "account_id")
    if dialect_name(session) == "postgresql":
        rows_doc = cast(bindparam(None, json.dumps(rows), type_=String), JSON)
        each = func.json_array_elements(rows_doc).table_valued("value")
        picked = [
            each.c.value.op("->>")(literal_column(str(i))).label(c) for i, c in enumerate(cols)
        ]
    else:
        doc = func.json_each(bindparam(None, json.dumps(rows), type_=String))
        each = doc.table_valued("value")
        picked = [func.json_extract(each.c.value, f"$[{i}]").label(c) for i, c in enumerate(cols)]
    query = select(
        *picked,
        literal(org_id).label("org_id"),
        literal(1).label("version"),
        literal(now, UTCDateTime).label("first_marked_at"),
        literal(now, UTCDateTime).label("last_marked_at"),
        literal(0).label("attempts"),
    ).order_by(picked[0])
    names = [*cols, "org_id", "version", "first_marked_at", "last_marked_at", "attempts"]
    stmt = upsert_insert(session, _table()).from_select(names, query)
    session.execute(_upsert(session, stmt))


NEW_ACTIVITY_COLUMNS = ("id", "org_id", "deal_id", "account_id")
"""Columns of newly inserted activities that :func:`mark_new_activities_sql` reads."""


def mark_new_activities_sql(source: str) -> str:
    """PostgreSQL statement marking ``activity:<id>`` dirty for every row of ``source``.

    ``source`` names a relation with :data:`NEW_ACTIVITY_COLUMNS`, such as the
    ``RETURNING`` rows of the activity insert in a data-modifying ``WITH``: the keys are
    then marked in the very statement (and transaction) that inserted the events, without
    looking the new activities up again by id. Scopes and coalescing are those of
    :func:`mark_dirty` (the deal's account, else the activity's own; keys in sorted order).
    The marking time is the psycopg parameter ``%(now)s``; no data enters the SQL text.
    """
    return (
        "INSERT INTO dirty_key (key, org_id, level, deal_id, account_id, version, "
        "first_marked_at, last_marked_at, attempts) "
        "SELECT 'activity:' || n.id, n.org_id, 'activity', n.deal_id, "
        "coalesce(d.account_id, n.account_id), 1, %(now)s, %(now)s, 0 "
        f"FROM {source} AS n LEFT OUTER JOIN deal AS d ON d.id = n.deal_id "
        "ORDER BY 1 "
        "ON CONFLICT (key) DO UPDATE SET version = dirty_key.version + 1, "
        "last_marked_at = excluded.last_marked_at"
    )


def mark_dirty(
    session: Session,
    org_id: str,
    keys: Iterable[str],
    *,
    now: datetime | None = None,
    scopes: Mapping[str, Scope] | None = None,
) -> int:
    """Mark ``keys`` dirty inside the caller's transaction; returns how many keys were given.

    Already-pending keys are coalesced: their version is bumped so a worker that is
    computing the old version knows to run again. Levels are written in name order and
    keys in sorted order, so concurrent markers lock rows in the same order.

    Args:
        session: The caller's session; nothing is committed here.
        org_id: Org every key belongs to.
        keys: Keys like ``deal:<id>``; unknown levels raise ``ValueError``.
        now: Marking time (default: the current UTC time).
        scopes: ``key -> (deal_id, account_id)`` where the caller already knows them.
            Activity, deal and training keys without one take it from their record
            (and are skipped if the record does not exist in this org).
    """
    now = now or utcnow()
    unique = sorted(set(keys))
    known = scopes or {}
    by_level: dict[str, tuple[list[tuple[str, str, str | None, str | None]], list[str]]] = {}
    for k in unique:
        level = level_of(k)
        rows, lookups = by_level.setdefault(level, ([], []))
        ident = k.split(":", 1)[1]
        if k in known or level in ("account", "pipeline"):
            deal_id, account_id = known.get(k, (None, ident if level == "account" else None))
            rows.append((k, level, deal_id, account_id))
        else:
            lookups.append(ident)
    for level in sorted(by_level):
        rows, lookups = by_level[level]
        for start in range(0, len(rows), 5000):
            _mark_known(session, org_id, rows[start : start + 5000], now)
        for start in range(0, len(lookups), 5000):
            _mark_looked_up(session, org_id, level, lookups[start : start + 5000], now)
    return len(unique)


def requeue_dead(
    session: Session, *, org_id: str | None = None, now: datetime | None = None
) -> int:
    """Move dead letters (of one org, or all) back into the queue; returns how many keys."""
    dead = DeadKey.__table__  # type: ignore[attr-defined]
    query = select(dead.c.org_id, dead.c.key)
    if org_id is not None:
        query = query.where(dead.c.org_id == org_id)
    by_org: dict[str, set[str]] = {}
    for org, key in session.execute(query):
        by_org.setdefault(org, set()).add(key)
    total = 0
    for org, keys in by_org.items():
        total += mark_dirty(session, org, keys, now=now)
        session.execute(delete(dead).where(dead.c.org_id == org, dead.c.key.in_(sorted(keys))))
    return total


def pending(session: Session, *, org_id: str | None = None, levels: Iterable[str] = LEVELS) -> int:
    """Number of keys pending (ready, leased or in back-off), optionally for one org."""
    dk = _table()
    query = select(func.count()).select_from(dk).where(dk.c.level.in_(list(levels)))
    if org_id is not None:
        query = query.where(dk.c.org_id == org_id)
    return int(session.execute(query).scalar_one())
