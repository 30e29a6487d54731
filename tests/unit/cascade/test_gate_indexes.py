"""Every parent's wait for its children is answered by a dirty_key index.

The writer pays for each dirty_key index on every event, so the queue keeps only the
claim order and one org-led index per scope; these tests keep each gate on one of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from agent.cascade.leases import CHILD_LEVELS, SCOPE_COLUMN, claim
from memory.db import session_scope
from memory.queue import DirtyKey
from tests.unit.cascade.conftest import NOW

DK: Any = DirtyKey.__table__  # type: ignore[attr-defined]
GATED = [level for level, children in CHILD_LEVELS.items() if children]


@pytest.mark.parametrize("level", GATED)
def test_each_gate_has_an_index_led_by_its_equality_columns(level: str) -> None:
    scope = SCOPE_COLUMN.get(level)
    wanted = ("org_id", scope) if scope else ("org_id",)
    prefixes = [tuple(c.name for c in ix.columns)[: len(wanted)] for ix in DK.indexes]
    assert wanted in prefixes, (level, wanted)


@pytest.mark.parametrize("level", ["deal", "account"])
def test_sqlite_plans_the_child_lookup_on_the_scope_index(store: Engine, level: str) -> None:
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("UPDATE dirty_key"):
            rows = conn.connection.dbapi_connection.execute(
                "EXPLAIN QUERY PLAN " + statement, params
            ).fetchall()
            plans.extend(str(r[-1]) for r in rows)

    event.listen(store, "before_cursor_execute", explain)
    try:
        with session_scope(store) as s:
            claim(s, owner="w", level=level, limit=1, lease_s=10, now=NOW)
    finally:
        event.remove(store, "before_cursor_execute", explain)
    index = f"ix_dirty_key_org_{SCOPE_COLUMN[level].removesuffix('_id')}"
    assert any(index in p for p in plans), plans
