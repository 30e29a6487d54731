"""Reading a CRM export for a backtest: target, column types, and clear errors on bad input.

Every column is typed from its values: numeric, date, categorical, free text (ignored),
identifier (ignored) or mostly empty (ignored). Problems that make a backtest impossible
raise :class:`BacktestInputError` naming the file and column; problems that only cost a
column are returned as notes, so nothing usable is lost.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?", "#n/a"})
MAX_MISSING = 0.9
"""A column with a larger share of empty values is left out."""
MAX_CATEGORIES = 50


class BacktestInputError(ValueError):
    """The CSV cannot be backtested; the message says what is wrong and where."""


@dataclass
class Table:
    """A typed CRM export: feature rows, labels, optional times and stage column."""

    path: str
    rows: list[dict[str, Any]]
    y: list[float]
    times: list[float] | None
    kinds: dict[str, str]
    stage_column: str | None
    notes: list[str] = field(default_factory=list)


def _blank(value: str | None) -> bool:
    return value is None or value.strip().lower() in MISSING


def _number(text: str) -> float | None:
    t = text.strip().replace(",", "").replace("$", "").replace("€", "").replace("£", "")
    if t.endswith("%"):
        t = t[:-1]
    try:
        value = float(t)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_time(text: str) -> float | None:
    """Seconds since the epoch of an ISO date or datetime (UTC if no zone), else ``None``."""
    t = text.strip().replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(t)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _kind(values: list[str], n_rows: int) -> str:
    present = [v for v in values if not _blank(v)]
    if len(present) < (1 - MAX_MISSING) * n_rows or not present:
        return "empty"
    if sum(_number(v) is not None for v in present) >= 0.95 * len(present):
        return "numeric"
    if sum(parse_time(v) is not None for v in present) >= 0.95 * len(present):
        return "date"
    distinct = len(set(present))
    mean_len = sum(len(v) for v in present) / len(present)
    if distinct <= MAX_CATEGORIES or distinct <= 0.05 * len(present):
        return "categorical"
    if mean_len >= 25 or sum(" " in v for v in present) >= 0.5 * len(present):
        return "text"
    return "identifier"


def read_table(
    path: str | Path,
    *,
    target: str,
    positive: str,
    sep: str = ",",
    time_column: str | None = None,
) -> Table:
    """Read and type a CSV export for a backtest.

    Raises:
        BacktestInputError: missing or empty file, unknown target or time column, a
            single class, or no usable feature column.
    """
    p = Path(path)
    if not p.exists():
        raise BacktestInputError(f"{p}: file not found")
    text = p.read_text(encoding="utf-8-sig", errors="replace")
    if not text.strip():
        raise BacktestInputError(f"{p}: the file is empty (expected a header row and deal rows)")
    reader = csv.DictReader(io.StringIO(text), delimiter=sep)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    raw = [r for r in reader if any(not _blank(v) for v in r.values() if isinstance(v, str))]
    if not raw:
        raise BacktestInputError(f"{p}: no data rows under the header {header}")
    if len(header) == 1 and sep not in text.splitlines()[0]:
        raise BacktestInputError(
            f"{p}: only one column {header[0]!r} found with separator {sep!r}; "
            "pass --sep ';' (or the file's separator)"
        )
    for name, what in ((target, "target"), (time_column, "time")):
        if name is not None and name not in header:
            close = difflib.get_close_matches(name, header, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise BacktestInputError(
                f"{p}: {what} column {name!r} not found{hint}; columns are {header}"
            )
    notes: list[str] = []
    labelled = [r for r in raw if not _blank(r.get(target))]
    if len(labelled) < len(raw):
        notes.append(f"{len(raw) - len(labelled)} row(s) without a {target!r} value left out")
    pos = positive.strip().lower()
    y = [1.0 if str(r[target]).strip().lower() == pos else 0.0 for r in labelled]
    seen = sorted({str(r[target]).strip() for r in labelled})
    if not any(y):
        raise BacktestInputError(
            f"{p}: no row has {target} = {positive!r}; values seen: {seen[:10]}"
        )
    if all(y):
        raise BacktestInputError(
            f"{p}: every labelled row has {target} = {positive!r} (a single class): a backtest "
            "needs won and lost deals"
        )
    if min(sum(y), len(y) - sum(y)) < 5:
        raise BacktestInputError(
            f"{p}: only {int(min(sum(y), len(y) - sum(y)))} deal(s) in the smaller class; "
            "need at least 5 won and 5 lost"
        )
    times: list[float] | None = None
    if time_column is not None:
        parsed = [parse_time(str(r.get(time_column) or "")) for r in labelled]
        bad = sum(t is None for t in parsed)
        if bad > 0.05 * len(parsed):
            raise BacktestInputError(
                f"{p}: time column {time_column!r} has {bad} value(s) that are not ISO dates"
            )
        keep = [i for i, t in enumerate(parsed) if t is not None]
        if bad:
            notes.append(f"{bad} row(s) with an unreadable {time_column!r} left out")
        labelled = [labelled[i] for i in keep]
        y = [y[i] for i in keep]
        times = [float(parsed[i]) for i in keep]  # type: ignore[arg-type]
    kinds: dict[str, str] = {}
    for name in header:
        if name in (target, time_column):
            continue
        kind = _kind([str(r.get(name) or "") for r in labelled], len(labelled))
        kinds[name] = kind
        share = sum(_blank(r.get(name)) for r in labelled) / len(labelled)
        if kind == "empty":
            notes.append(f"column {name!r} is {share:.0%} empty: left out")
        elif kind == "text":
            notes.append(
                f"column {name!r} looks like free text: left out (Keel reads text through "
                "extracted signals, not raw columns)"
            )
        elif kind == "identifier":
            notes.append(f"column {name!r} looks like an identifier (unique values): left out")
    used = [n for n, k in kinds.items() if k in ("numeric", "date", "categorical")]
    if not used:
        raise BacktestInputError(
            f"{p}: no usable feature column: " + "; ".join(notes or ["only the target is present"])
        )
    rows = [_row(r, used, kinds) for r in labelled]
    stage = next((n for n in used if "stage" in n.lower() and kinds[n] == "categorical"), None)
    return Table(str(p), rows, y, times, {n: kinds[n] for n in used}, stage, notes)


def _row(raw: dict[str, Any], used: list[str], kinds: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in used:
        value = raw.get(name)
        if _blank(value):
            out[name] = None
        elif kinds[name] == "numeric":
            out[name] = _number(str(value))
        elif kinds[name] == "date":
            t = parse_time(str(value))
            out[name] = t / 86400.0 if t is not None else None
        else:
            out[name] = str(value).strip()
    return out
