from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.ingest import ingest
from memory.models import FieldChange
from memory.queue import DirtyKey
from tests.factories import account, activity, change, deal, org


def _batch() -> dict[str, list[dict]]:
    return {
        "orgs": [org()],
        "accounts": [account()],
        "deals": [deal()],
        "changes": [change("D1", "stage", "discovery", 0), change("D1", "amount", 5000, 1)],
        "activities": [activity("D1", "ACT1", 1)],
    }


def test_reimport_is_a_noop(engine: Engine) -> None:
    with session_scope(engine) as s:
        first = ingest(s, **_batch())
    with session_scope(engine) as s:
        second = ingest(s, **_batch())
        count = s.scalar(select(func.count()).select_from(FieldChange))
    assert first.inserted["changes"] == 2
    assert second.inserted["changes"] == 0
    assert second.duplicates["changes"] == 2
    assert second.duplicates["activities"] == 1
    assert count == 2


def test_dirty_keys_marked_in_same_transaction_and_coalesced(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(s, **_batch())
    with session_scope(engine) as s:
        ingest(s, changes=[change("D1", "amount", 6000, 2), change("D1", "amount", 7000, 3)])
    with session_scope(engine) as s:
        keys = {k.key: k for k in s.exec(select(DirtyKey)).scalars()}  # type: ignore[call-overload]
    deal_keys = [k for k in keys if k.startswith("deal:")]
    assert len(deal_keys) == 1
    assert keys[deal_keys[0]].version == 2
    assert any(k.startswith("activity:") for k in keys)


def test_failed_batch_writes_nothing(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(s, orgs=[org()], accounts=[account()], deals=[deal()])
    bad = change("D1", "stage", "proposal", 1)
    bad["valid_from"] = datetime(2026, 1, 2)  # naive: rejected
    with pytest.raises(Exception, match="naive datetime"):
        with session_scope(engine) as s:
            ingest(s, changes=[change("D1", "stage", "discovery", 0), bad])
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(FieldChange)) == 0
        assert s.scalar(select(func.count()).select_from(DirtyKey)) == 1  # only the deal's own


def test_unknown_column_is_rejected(sqlite_engine: Engine) -> None:
    row = org()
    row["colour"] = "blue"
    with pytest.raises(ValueError, match="colour"):
        with session_scope(sqlite_engine) as s:
            ingest(s, orgs=[row])


def test_mixed_batch_counts_new_rows_and_marks_their_deal(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(s, **_batch())
        ingest(s, deals=[deal(src="D2")])
        s.execute(DirtyKey.__table__.delete())  # type: ignore[attr-defined]
    with session_scope(engine) as s:
        report = ingest(
            s, changes=[change("D1", "stage", "discovery", 0), change("D2", "stage", "proposal", 1)]
        )
    with session_scope(engine) as s:
        keys = {k.key for k in s.exec(select(DirtyKey)).scalars()}  # type: ignore[call-overload]
    assert report.inserted["changes"] == 1
    assert report.duplicates["changes"] == 1
    from memory.ids import make_id

    assert f"deal:{make_id('deal', 'acme', 'D2')}" in keys
