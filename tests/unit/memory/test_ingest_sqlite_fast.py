"""The SQLite ingest fast path (plain dicts, column-wise conversion) stores what the
general path stores, byte for byte, and marks the same keys dirty."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from memory.db import create_schema, make_engine, session_scope
from memory.ingest import _sqlite_time, _utc_texts, ingest
from memory.queue import DirtyKey
from tests.factories import account, activity, change, day, deal, org

TABLES = ("org", "account", "deal", "field_change", "activity", "dirty_key")


def _changes() -> list[dict[str, Any]]:
    rows = [
        change("D1", "stage", "discovery", 0),
        change("D1", "amount", 5000, 1),
        change("D1", "amount", 5000.25, 1.5),
        change("D1", "close_date", "2026-03-01", 2),
        change("D1", "owner_id", None, 2.25),
        change("D1", "tags", ["a", "ü", {"k": 1}], 3),
        change("D2", "name", 'Déal "quoted" \n', 4),
        change("D2", "stage", "proposal", 5),
        change("D2", "amount", float("nan"), 5.5),
    ]
    for row in rows[::2]:
        row["recorded_at"] = row["valid_from"]  # the very same object, as importers pass it
    late = change("D2", "stage", "negotiation", 6)
    late["recorded_at"] = day(8)  # a different object: converted on its own
    plus_two = timezone(timedelta(hours=2))
    shifted = change("D2", "amount", 7, 7)
    shifted["valid_from"] = shifted["valid_from"].astimezone(plus_two)
    shifted["recorded_at"] = shifted["valid_from"]
    whole = change("D1", "forecast_category", "commit", 9)
    whole["valid_from"] = whole["recorded_at"] = datetime(2026, 2, 1, tzinfo=UTC)  # no micros
    out = [*rows, late, shifted, whole]
    for row in out:  # columns equal in every row are written into the statement once
        row["source"] = "o'brien's \"crm\" ü"
        row["author"] = None
    return [*out, dict(rows[0])]  # the last one repeats a source id


def _store(how: str) -> tuple[dict[str, list[tuple[Any, ...]]], Any]:
    """Ingest the same records as plain dicts, as other mappings, or one record per call."""
    engine: Engine = make_engine("sqlite://")
    create_schema(engine)

    def rows(items: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
        # A mapping that is not a dict takes the general (row by row) path.
        return list(items) if how == "dicts" else [MappingProxyType(i) for i in items]

    batches: dict[str, list[dict[str, Any]]] = {
        "orgs": [org()],
        "accounts": [account()],
        "deals": [deal(), deal(src="D2")],
        "changes": _changes(),
        "activities": [activity("D1", "ACT1", 1)],
    }
    reports = []
    with session_scope(engine) as s:
        if how == "one_by_one":  # one-row batches: nothing is shared between rows
            for kind, items in batches.items():
                for item in items:
                    reports.append(ingest(s, **{kind: rows([item])}).as_dict()["inserted"])
        else:
            reports.append(ingest(s, **{k: rows(v) for k, v in batches.items()}).as_dict())
    with session_scope(engine) as s:
        again = ingest(s, changes=rows(_changes()))
    with engine.connect() as conn:
        stored = {
            t: [
                tuple(r)
                for r in conn.execute(text(f"SELECT * FROM {t}"))  # noqa: S608
            ]
            for t in TABLES
            if t != "dirty_key"
        }
        stored["dirty_key"] = [
            tuple(r)
            for r in conn.execute(
                text("SELECT key, org_id, level, deal_id, account_id FROM dirty_key ORDER BY key")
            )
        ]
    engine.dispose()
    return stored, (reports, again.as_dict())


def test_fast_path_stores_the_same_bytes_as_the_general_path() -> None:
    fast, fast_reports = _store("dicts")
    general, general_reports = _store("mappings")
    one_by_one, _ = _store("one_by_one")
    assert fast == general == one_by_one
    assert fast_reports == general_reports
    assert len(fast["field_change"]) == len(_changes()) - 1
    assert fast_reports[1]["inserted"]["changes"] == 0


def test_time_text_matches_the_row_by_row_conversion() -> None:
    rng = random.Random(5)
    values = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        *(
            datetime(2020, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(10**15))
            for _ in range(500)
        ),
    ]
    expected = [_sqlite_time(v) for v in values]
    assert _utc_texts(values, None) == expected
    later = [v if i % 3 else v + timedelta(days=1) for i, v in enumerate(values)]
    assert _utc_texts(later, (values, expected)) == [_sqlite_time(v) for v in later]


@pytest.mark.parametrize("as_dicts", [True, False])
def test_naive_time_is_rejected_on_both_paths(sqlite_engine: Engine, as_dicts: bool) -> None:
    bad = change("D1", "stage", "proposal", 1)
    bad["valid_from"] = datetime(2026, 1, 2)
    batch = [change("D1", "stage", "discovery", 0), bad]
    with session_scope(sqlite_engine) as s:
        ingest(s, orgs=[org()], accounts=[account()], deals=[deal()])
    with pytest.raises(ValueError, match="naive datetime"):
        with session_scope(sqlite_engine) as s:
            ingest(s, changes=batch if as_dicts else [MappingProxyType(r) for r in batch])
    with session_scope(sqlite_engine) as s:
        assert s.query(DirtyKey).count() == 1  # only the deal's own
