"""Shared plumbing for CLI commands: opening the store, parsing instants, printing results."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy.engine import Engine

from memory.db import create_schema, make_engine
from memory.settings import MemorySettings

stderr = Console(stderr=True)


def open_store(settings: MemorySettings | None = None) -> Engine:
    """Open (and if needed create) the configured store."""
    engine = make_engine(settings=settings or MemorySettings())
    create_schema(engine)
    return engine


def parse_instant(text: str, *, what: str = "date") -> datetime:
    """Parse ``now``, ``today``, an ISO date (end of that day, UTC) or an ISO datetime.

    A bare date means "as of the close of that day" so events on that day are included.
    A datetime without a timezone is taken as UTC.
    """
    value = text.strip().lower()
    if value == "now":
        return datetime.now(UTC)
    if value == "today":
        value = date.today().isoformat()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max, tzinfo=UTC)
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"invalid {what} {text!r}: use an ISO date (2026-03-31), datetime, 'today' or 'now'")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def days_ago(days: float) -> datetime:
    """UTC instant ``days`` days before now."""
    return datetime.now(UTC) - timedelta(days=days)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: Any) -> str:
    """Serialise one result document (dates as ISO 8601)."""
    return json.dumps(data, default=_default, ensure_ascii=False)


def emit(data: Any, *, as_json: bool, render: Callable[[Any], None]) -> None:
    """Print exactly one JSON document with ``--json``, otherwise a readable rendering."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
    else:
        render(data)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit non-zero."""
    stderr.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def ensure_schema(engine: Engine) -> None:
    """Create missing tables (idempotent)."""
    create_schema(engine)


def subgroup(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """Return the CLI sub-group ``name`` (``eval``, ``bench``...), creating it once.

    Several command modules add commands to the same group; whichever registers first
    creates it.
    """
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group
