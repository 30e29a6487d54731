"""Activity ingest marks the same dirty keys on every backend, and the PG staging rules.

The ``engine`` tests run on SQLite here and on PostgreSQL with ``-m integration``, where
the activity insert marks its keys in the same statement (``mark_new_activities_sql``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Integer, String, Text, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

from memory.db import UTCDateTime, session_scope
from memory.ids import make_id
from memory.ingest import ingest
from memory.ingest_pg import _stage_column
from memory.queue import DirtyKey, mark_new_activities_sql
from tests.factories import account, activity, deal, org

T = datetime(2026, 3, 1, tzinfo=UTC)


def _keys(engine: Engine) -> dict[str, tuple[str | None, str | None, int]]:
    with session_scope(engine) as s:
        rows = s.execute(
            select(DirtyKey.key, DirtyKey.deal_id, DirtyKey.account_id, DirtyKey.version)  # type: ignore[call-overload]
        ).all()
    return {k: (d, a, v) for k, d, a, v in rows}


def test_new_activities_are_marked_with_their_deal_and_account(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(s, orgs=[org()], accounts=[account(), account(src="A2")])
        ingest(s, deals=[deal(), deal(src="D2", account_src="A2")])
        s.execute(DirtyKey.__table__.delete())  # type: ignore[attr-defined]
    loose = activity("D1", "ACT3", 3)
    loose["deal_id"] = None
    loose["account_id"] = make_id("account", "acme", "A2")
    acts = [activity("D1", "ACT1", 1), activity("D2", "ACT2", 2), loose]
    with session_scope(engine) as s:
        report = ingest(s, activities=acts)
    a1, a2 = make_id("account", "acme", "A1"), make_id("account", "acme", "A2")
    d1, d2 = make_id("deal", "acme", "D1"), make_id("deal", "acme", "D2")
    assert report.inserted["activities"] == 3
    assert report.dirty_keys == 3
    assert _keys(engine) == {
        f"activity:{make_id('activity', 'acme', 'ACT1')}": (d1, a1, 1),
        f"activity:{make_id('activity', 'acme', 'ACT2')}": (d2, a2, 1),
        f"activity:{make_id('activity', 'acme', 'ACT3')}": (None, a2, 1),
    }


def test_reingesting_activities_marks_and_bumps_nothing(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(s, orgs=[org()], accounts=[account()], deals=[deal()])
        ingest(s, activities=[activity("D1", "ACT1", 1)])
    before = _keys(engine)
    with session_scope(engine) as s:
        report = ingest(s, activities=[activity("D1", "ACT1", 1)])
    assert report.inserted["activities"] == 0
    assert report.duplicates["activities"] == 1
    assert report.dirty_keys == 0
    assert _keys(engine) == before


def test_two_activity_batches_in_one_transaction(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(s, orgs=[org()], accounts=[account()], deals=[deal()])
        first = ingest(s, activities=[activity("D1", "ACT1", 1)])
        second = ingest(s, activities=[activity("D1", "ACT2", 2)])
    assert (first.inserted["activities"], second.inserted["activities"]) == (1, 1)
    assert len([k for k in _keys(engine) if k.startswith("activity:")]) == 2


def test_mark_sql_binds_the_time_and_names_only_the_source() -> None:
    sql = mark_new_activities_sql("new")
    assert "%(now)s" in sql
    assert " FROM new AS n " in sql
    assert "ON CONFLICT (key) DO UPDATE SET version = dirty_key.version + 1" in sql


@pytest.mark.parametrize(
    ("column_type", "values", "sent", "binary"),
    [
        (String(), ["a", None], ["a", None], "text"),
        (Text(), ["body"], ["body"], "text"),
        (String(), ["a", 5], ["a", 5], None),  # not a str: text COPY converts it, as before
        (JSON(), [[{"x": 1}], None, "s"], ['[{"x": 1}]', None, '"s"'], "text"),
        (JSONB(), [{"x": 1}], ['{"x": 1}'], None),
        (UTCDateTime(), [T, None], [T, None], "timestamptz"),
        (Integer(), [1, 2], [1, 2], None),
    ],
)
def test_stage_column_picks_binary_only_for_exact_types(
    column_type: object, values: list[object], sent: list[object], binary: str | None
) -> None:
    out, kind = _stage_column(column_type, values)
    assert list(out) == sent
    assert kind == binary


def test_stage_column_keeps_other_offsets_and_rejects_naive_times() -> None:
    paris = T.astimezone(timezone(timedelta(hours=1)))
    assert _stage_column(UTCDateTime(), [paris]) == ([paris], "timestamptz")
    with pytest.raises(ValueError, match="naive datetime"):
        _stage_column(UTCDateTime(), [T, datetime(2026, 3, 1)])
    with pytest.raises(ValueError, match="naive datetime"):
        _stage_column(UTCDateTime(), ["2026-03-01"])


def test_times_with_any_offset_and_odd_values_are_stored_as_given(engine: Engine) -> None:
    from memory.models import Activity

    row = activity("D1", "ACT1", 1)
    row["occurred_at"] = T.astimezone(timezone(timedelta(hours=-5)))
    other = activity("D1", "ACT2", 2)
    other["subject"] = None
    with session_scope(engine) as s:
        ingest(s, orgs=[org()], accounts=[account()], deals=[deal()])
        ingest(s, activities=[row, other])
    act = Activity.__table__  # type: ignore[attr-defined]
    with session_scope(engine) as s:
        got = dict(s.execute(select(act.c.source_id, act.c.occurred_at)).tuples().all())
        parts = s.execute(select(act.c.participants).where(act.c.source_id == "ACT2"))
    assert got["ACT1"] == T
    assert parts.scalar_one() == other["participants"]
