"""PostgreSQL bulk insert for :mod:`memory.ingest`: ``COPY`` into a staging table.

One ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` then moves the rows.

SQLAlchemy's multi-row ``INSERT ... VALUES ... RETURNING`` spent most of its time in
psycopg re-parsing one huge statement per batch (measured: 5.4k activities/s, 60% in query
conversion). ``COPY`` streams rows in PostgreSQL's own format; the conflict handling and
``RETURNING`` stay in SQL, so duplicates are skipped exactly as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import JSON, String, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session

from memory.db import UTCDateTime

Then = tuple[str, Sequence[str], Mapping[str, Any]]
"""``(sql, columns, params)`` run on an insert's new rows in the same statement."""

_NoneType = type(None)
_tzinfo = attrgetter("tzinfo")
_TIME_TYPES = {datetime, _NoneType}
_TEXT_TYPES = {str, _NoneType}


def _time(value: Any) -> Any:
    if value is not None and getattr(value, "tzinfo", None) is None:
        raise ValueError(f"naive datetime {value!r} given; Keel stores UTC-aware times")
    return value


def _json(value: Any) -> Any:
    return None if value is None else json.dumps(value)


def _times(values: Sequence[Any]) -> Sequence[Any]:
    """A time column as given, after checking every value is ``None`` or UTC-aware."""
    if set(map(type, values)) == {datetime} and None not in set(map(_tzinfo, values)):
        return values  # the common case, checked without a Python call per value
    return list(map(_time, values))


def _stage_column(column_type: Any, values: Sequence[Any]) -> tuple[Sequence[Any], str | None]:
    """What ``COPY`` sends for one column, and its binary ``COPY`` type (``None``: text only).

    Binary ``COPY`` (about half the client time of text: no per-value formatting) is used
    only where every value has exactly the Python type its binary dumper writes; JSON is
    serialized here and sent as text, which is what PostgreSQL's ``json`` input reads.
    """
    if isinstance(column_type, UTCDateTime):
        values = _times(values)
        return values, "timestamptz" if set(map(type, values)) <= _TIME_TYPES else None
    if isinstance(column_type, JSON):
        # ``jsonb``'s binary input wants a version byte first: send that as text.
        return list(map(_json, values)), None if isinstance(column_type, JSONB) else "text"
    if isinstance(column_type, String):
        return values, "text" if set(map(type, values)) <= _TEXT_TYPES else None
    return values, None


def insert_postgres(
    session: Session,
    table: Table,
    names: list[str],
    values: list[Sequence[Any]],
    *,
    conflict: list[str],
    returning: list[str],
    then: Then | None = None,
) -> tuple[int, list[tuple[Any, ...]]]:
    """Insert rows given column by column, skipping conflicts on ``conflict``.

    Returns how many rows were new and their ``returning`` columns. Runs inside the
    session's transaction; the staging table is private to the connection and emptied at
    commit.

    Args:
        session: The caller's session (PostgreSQL).
        table: Target table.
        names: Column names.
        values: Per name, that column's value in every row (in row order).
        conflict: Columns of the unique constraint whose conflicts are skipped.
        returning: Columns returned for each new row.
        then: ``(sql, columns, params)``: a statement that reads the new rows' ``columns``
            as the relation ``new`` and runs in the same SQL statement as the insert (a
            data-modifying ``WITH``), e.g. marking their dirty keys; ``params`` are its
            psycopg parameters.
    """
    cols = ", ".join(f'"{n}"' for n in names)
    tag = hashlib.sha1(cols.encode()).hexdigest()[:8]
    stage = f"keel_stage_{table.name}_{tag}"
    target = f'"{table.name}"'
    staged = [_stage_column(table.c[n].type, v) for n, v in zip(names, values, strict=True)]
    types = [t for _, t in staged]
    binary = None not in types
    ordinals = range(len(values[0]))
    dbapi = session.connection().connection.dbapi_connection
    with dbapi.cursor() as cur:  # type: ignore[union-attr]
        # keel_ord keeps the caller's order: ids break ties between changes of one instant.
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols}, 0::bigint AS keel_ord FROM {target} WITH NO DATA"
        )
        # Empty at the start of each transaction (ON COMMIT DELETE ROWS); DELETE only
        # matters for a second batch in one transaction and, unlike TRUNCATE, does not
        # give the table a new file (and catalog row) every time.
        cur.execute(f"DELETE FROM {stage}")
        fmt = " (FORMAT BINARY)" if binary else ""
        with cur.copy(f"COPY {stage} ({cols}, keel_ord) FROM STDIN{fmt}") as copy:
            if binary:
                copy.set_types([*types, "int8"])
            for row in zip(*(v for v, _ in staged), ordinals, strict=True):
                copy.write_row(row)
        reads = list(dict.fromkeys([*returning, *(then[1] if then else ())]))
        insert = (
            f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} ORDER BY keel_ord "
            f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING "
            f"RETURNING {', '.join(reads)}"
        )
        if then is None:
            cur.execute(insert)
        else:
            # One statement: no second round trip, and no re-lookup of the new rows by id.
            cur.execute(
                f"WITH new AS ({insert}), then_ AS ({then[0]}) "
                f"SELECT {', '.join(returning)} FROM new",
                then[2],
            )
        out = [tuple(r) for r in cur.fetchall()]
    return len(out), out
