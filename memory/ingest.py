"""Append-only bulk writes into the time-series store.

Every write is an ``INSERT ... ON CONFLICT DO NOTHING`` keyed on the record's source id,
so re-importing the same source record changes nothing, and the keys the new records
make dirty are marked in the same transaction.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii as _json_str
from operator import attrgetter, itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Boolean, Integer, Table
from sqlmodel import Session, SQLModel

from memory.db import UTCDateTime, utcnow
from memory.ingest_pg import Then, insert_postgres
from memory.models import (
    Account,
    Activity,
    ActivitySignal,
    Deal,
    FieldChange,
    Org,
    Person,
    User,
)
from memory.queue import NEW_ACTIVITY_COLUMNS, mark_dirty, mark_new_activities_sql
from memory.sql import dialect_name, upsert_insert

Row = Mapping[str, Any] | SQLModel

_tzinfo = attrgetter("tzinfo")


@dataclass
class IngestReport:
    """How many records of each kind were new and how many were already stored."""

    inserted: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    dirty_keys: int = 0

    def merge(self, other: IngestReport) -> None:
        """Add another report's counts into this one."""
        self.inserted.update(other.inserted)
        self.duplicates.update(other.duplicates)
        self.dirty_keys += other.dirty_keys

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "inserted": dict(self.inserted),
            "duplicates": dict(self.duplicates),
            "dirty_keys": self.dirty_keys,
        }


def _as_dict(row: Row, columns: set[str]) -> dict[str, Any]:
    data = row.model_dump() if isinstance(row, SQLModel) else dict(row)
    unknown = set(data) - columns
    if unknown:
        raise ValueError(f"unknown column(s) {sorted(unknown)}")
    return data


def _fill(table: Table) -> dict[str, Any]:
    """Column defaults (a value, or a callable taking ``None``) for keys a row leaves out."""
    fill: dict[str, Any] = {}
    for c in table.columns:
        if c.primary_key and isinstance(c.type, Integer):
            continue  # surrogate key: the database assigns it
        default = c.default
        if default is None:
            fill[c.name] = None
        elif getattr(default, "is_callable", False):
            fill[c.name] = default.arg  # type: ignore[attr-defined]
        else:
            fill[c.name] = getattr(default, "arg", None)
    return fill


def _complete(rows: Sequence[Row], columns: set[str], fill: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows as new dicts, every one binding the same parameters (defaults filled in)."""
    dicts = [_as_dict(r, columns) for r in rows]
    for d in dicts:
        for name, value in fill.items():
            if name not in d:
                d[name] = value(None) if callable(value) else value
        if "id" in d and d["id"] is None and "id" not in fill:
            del d["id"]
    return dicts


def _insert(
    session: Session,
    model: type[SQLModel],
    rows: Sequence[Row],
    *,
    conflict: list[str],
    returning: list[str],
    then: Then | None = None,
) -> tuple[int, list[tuple[Any, ...]]]:
    """Insert rows ignoring conflicts on ``conflict``.

    Returns how many rows were new and the ``returning`` columns of the rows whose keys
    must be marked dirty (the new rows; on SQLite possibly the whole batch, deduplicated).
    ``then`` is PostgreSQL only (see :func:`memory.ingest_pg.insert_postgres`).
    """
    if not rows:
        return 0, []
    table: Table = model.__table__  # type: ignore[attr-defined]
    columns = {c.name for c in table.columns}
    fill = _fill(table)
    found = _uniform_columns(rows, columns, fill)
    if found is None:
        found = _dict_columns(_complete(rows, columns, fill))
    names, values = found
    if dialect_name(session) == "sqlite":
        return _insert_sqlite(session, table, names, values, conflict=conflict, returning=returning)
    upsert_insert(session, table)  # raises for a database that is neither
    return insert_postgres(
        session, table, names, values, conflict=conflict, returning=returning, then=then
    )


Columns = tuple[list[str], list[Sequence[Any]]]
"""Column names and, per name, that column's value in every row (in row order)."""


def _dict_columns(dicts: list[dict[str, Any]]) -> Columns:
    """Columns named by the first row's keys, read from every row (a missing key raises)."""
    names = list(dicts[0])
    if len(names) == 1:
        return names, [[d[names[0]] for d in dicts]]
    return names, list(zip(*map(itemgetter(*names), dicts), strict=True))


def _uniform_columns(
    rows: Sequence[Row], columns: set[str], fill: dict[str, Any]
) -> Columns | None:
    """Columns read straight from plain dicts that all have the same keys, else ``None``.

    The common bulk case: no per-row dict copy or default filling (that per-row Python
    work cost as much as SQLite's insert). Anything else (models, rows with differing
    keys, a surrogate ``id`` given, a default made per row) takes :func:`_complete`.
    """
    if set(map(type, rows)) != {dict}:
        return None
    dicts = cast(Sequence[dict[str, Any]], rows)
    first = dicts[0]
    names: list[str] = list(first)
    unknown = set(names) - columns
    if unknown:
        raise ValueError(f"unknown column(s) {sorted(unknown)}")
    if len(names) < 2 or ("id" in first and "id" not in fill):
        return None
    missing = [(n, v) for n, v in fill.items() if n not in first]
    if any(callable(v) for _, v in missing) or set(map(len, dicts)) != {len(names)}:
        return None
    try:  # same length and every name present: the same keys as the first row
        values: list[Sequence[Any]] = list(zip(*map(itemgetter(*names), dicts), strict=True))
    except KeyError:
        return None
    for name, value in missing:
        names.append(name)
        values.append([value] * len(rows))
    return names, values


def _sqlite_time(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValueError(f"expected a datetime, got {value!r}")
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} given; Keel stores UTC-aware times")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # Exactly SQLAlchemy's SQLite DATETIME storage format (so string order = time order);
    # the first 26 characters drop the "+00:00" without a ``replace(tzinfo=None)`` copy.
    return value.isoformat(" ", "microseconds")[:26]


_UTC_TEXT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
"""What :func:`_sqlite_time` returns for a UTC datetime, formatted without ``isoformat``."""


def _all_utc(values: Sequence[Any]) -> bool:
    return set(map(type, values)) == {datetime} and set(map(_tzinfo, values)) == {UTC}


def _utc_texts(
    values: Sequence[datetime], same: tuple[Sequence[Any], list[Any]] | None
) -> list[str]:
    """:func:`_sqlite_time` of a column of UTC datetimes, in one comprehension.

    ``isoformat`` (C, but through ``PyUnicode_FromFormat``) cost more than the rest of a
    row's conversion; %-formatting the fields gives the same text in about half the time.
    ``same`` is an earlier time column and its texts: a value that is the very same
    object (recorded_at is valid_from) reuses its text.
    """
    if same is None:
        return [
            _UTC_TEXT % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
            for v in values
        ]
    return [
        p
        if v is q
        else _UTC_TEXT % (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
        for v, q, p in zip(values, *same, strict=True)
    ]


def _sqlite_json(value: Any) -> Any:
    # Scalars (most CRM field values) skip ``json.dumps``'s per-call setup; the output is
    # byte for byte what ``json.dumps`` gives for them.
    kind = type(value)
    if kind is str:
        return _json_str(value)
    if kind is int or (kind is float and math.isfinite(value)):
        return repr(value)
    return None if value is None else json.dumps(value)


def _sqlite_bool(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    """What turns a Python value into what SQLite stores for ``column_type`` (None: as is)."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_time
    if isinstance(column_type, JSON):
        return _sqlite_json
    if isinstance(column_type, Boolean):
        return _sqlite_bool
    return None


def _insert_sqlite(
    session: Session,
    table: Table,
    names: list[str],
    values: list[Sequence[Any]],
    *,
    conflict: list[str],
    returning: list[str],
) -> tuple[int, list[tuple[Any, ...]]]:
    """SQLite fast path: values converted once per column, then one DB-API ``executemany``.

    SQLAlchemy's per-parameter processing cost more than SQLite's insert itself. SQLite's
    ``total_changes`` says how many rows were new: if none, nothing is reported (a
    re-import marks nothing dirty); if some, every distinct ``returning`` tuple of the
    batch is reported, so a mixed batch may mark a few extra keys dirty, which idempotent
    handlers absorb.
    """
    index = {n: i for i, n in enumerate(names)}
    keys = list(zip(*(values[index[c]] for c in conflict), strict=True))
    if len(set(keys)) != len(keys):  # the first row of each key wins, as row by row
        first: dict[tuple[Any, ...], int] = {}
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        keep = list(first.values())
        values = [[column[i] for i in keep] for column in values]
    stored = list(values)
    previous: tuple[Callable[[Any], Any], Sequence[Any], list[Any]] | None = None
    for i, name in enumerate(names):
        convert = _sqlite_converter(table.c[name].type)
        if convert is None:
            continue
        raw = values[i]
        same = previous[1:] if previous is not None and previous[0] is convert else None
        if convert is _sqlite_time and _all_utc(raw):
            out = _utc_texts(raw, same)
        elif same is not None:
            # e.g. recorded_at is the very valid_from object: convert it once
            out = [p if r is q else convert(r) for r, q, p in zip(raw, *same, strict=True)]
        else:
            out = list(map(convert, raw))
        stored[i] = out
        previous = (convert, raw, out)
    # Every value is bound, never written into the SQL text (data stays data).
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT DO NOTHING"
    )
    dbapi = session.connection().connection.dbapi_connection
    before = dbapi.total_changes  # type: ignore[union-attr]
    session.connection().exec_driver_sql(sql, list(zip(*stored, strict=True)))  # type: ignore[arg-type]
    inserted = dbapi.total_changes - before  # type: ignore[union-attr]
    if inserted == 0:
        return 0, []
    return inserted, list(dict.fromkeys(zip(*(values[index[c]] for c in returning), strict=True)))


def ingest(
    session: Session,
    *,
    orgs: Iterable[Row] = (),
    users: Iterable[Row] = (),
    accounts: Iterable[Row] = (),
    people: Iterable[Row] = (),
    deals: Iterable[Row] = (),
    changes: Iterable[Row] = (),
    activities: Iterable[Row] = (),
    signals: Iterable[Row] = (),
) -> IngestReport:
    """Write records of any kind in dependency order inside the caller's transaction.

    Records already stored (same id or same ``(org_id, source_id)``) are skipped and
    counted as duplicates. New deal fields mark ``deal:<id>`` dirty; new activities mark
    ``activity:<id>`` dirty, in this same transaction.

    Raises:
        ValueError: a record has an unknown column or a naive (timezone-less) time.
    """
    report = IngestReport()
    dirty: dict[str, set[str]] = {}

    def run(
        name: str,
        model: type[SQLModel],
        rows: Iterable[Row],
        conflict: list[str],
        returning: list[str],
        then: Then | None = None,
    ) -> list[tuple[Any, ...]]:
        batch = list(rows)
        count, touched = _insert(
            session, model, batch, conflict=conflict, returning=returning, then=then
        )
        report.inserted[name] += count
        report.duplicates[name] += len(batch) - count
        return touched

    run("orgs", Org, orgs, ["id"], ["id"])
    run("users", User, users, ["id"], ["id"])
    run("accounts", Account, accounts, ["id"], ["id"])
    run("people", Person, people, ["id"], ["id"])
    for deal_id, org_id in run("deals", Deal, deals, ["id"], ["id", "org_id"]):
        dirty.setdefault(org_id, set()).add(f"deal:{deal_id}")
    for deal_id, org_id in run(
        "changes", FieldChange, changes, ["org_id", "source_id"], ["deal_id", "org_id"]
    ):
        dirty.setdefault(org_id, set()).add(f"deal:{deal_id}")
    # On PostgreSQL the insert itself marks the new activities' keys (one statement).
    marks = None
    if dialect_name(session) == "postgresql":
        marks = (mark_new_activities_sql("new"), NEW_ACTIVITY_COLUMNS, {"now": utcnow()})
    new_activities = run(
        "activities", Activity, activities, ["org_id", "source_id"], ["id", "org_id"], marks
    )
    if marks is not None:
        report.dirty_keys += len(new_activities)
    else:
        for act_id, org_id in new_activities:
            dirty.setdefault(org_id, set()).add(f"activity:{act_id}")
    for deal_id, org_id in run(
        "signals",
        ActivitySignal,
        signals,
        ["activity_id", "content_hash", "extractor"],
        ["deal_id", "org_id"],
    ):
        if deal_id:
            dirty.setdefault(org_id, set()).add(f"deal:{deal_id}")
    for org_id, keys in dirty.items():
        report.dirty_keys += mark_dirty(session, org_id, keys)
    return report
