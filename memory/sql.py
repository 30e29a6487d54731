"""Small portable SQL helpers (SQLite and PostgreSQL) used across the memory package."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import NullType
from sqlmodel import Session


def upsert_insert(session: Session, table: Table) -> Any:
    """Return the dialect's ``INSERT`` construct that supports ``ON CONFLICT`` clauses."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(
        f"database dialect {name!r} is not supported (use SQLite or PostgreSQL)"
    )


def dialect_name(session: Session) -> str:
    """Name of the session's database dialect (``sqlite`` or ``postgresql``)."""
    return session.get_bind().dialect.name


def raw_json(value: Any) -> Any:
    """Decode a JSON column read without SQLAlchemy's type processing.

    SQLite hands back the text, psycopg an already decoded object. Hot read paths use
    this because per-row type processing dominated whole-pipeline reads.
    """
    return json.loads(value) if isinstance(value, str | bytes) else value


def raw_utc(value: Any) -> datetime:
    """Decode a UTC timestamp column read without SQLAlchemy's type processing."""
    if isinstance(value, str):
        try:
            # SQLite's text is naive UTC: parsing it with the offset appended is several
            # times cheaper than parsing and then ``replace``; text that already has an
            # offset (or is not a full timestamp) fails here and takes the general path.
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


def raw(column: Any) -> Any:
    """Select ``column`` without result type processing (see :func:`raw_json`)."""
    return type_coerce(column, NullType())


def unindexed(column: Any) -> Any:
    """``column`` as an expression no index can match; the comparison is still exact.

    For a filter that only re-checks rows another condition already selects: SQLite
    without ANALYZE statistics otherwise prefers an index on the re-checked column.
    """
    return func.coalesce(column, column)
