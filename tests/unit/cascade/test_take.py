"""Taking activity keys (no lease) writes what the leased path writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.context import FunctionHandler
from agent.cascade.handlers import apply_activities, prepare_activities
from agent.cascade.leases import take
from agent.cascade.registry import default_registry
from agent.cascade.txn import write_session
from agent.cascade.verify import diff_derived
from agent.cascade.worker import Worker
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from memory.queue import DeadKey, DirtyKey
from tests.factories import activity
from tests.unit.cascade.conftest import DEALS, NOW, make_ctx, seed, settings


def _store(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    seed(engine)
    Worker(make_ctx(engine)).drain()
    with session_scope(engine) as s:
        ingest(s, activities=[activity(d, f"X{i}{d}", 5.0 + i) for i in range(3) for d in DEALS])
    return engine


def _queue(engine: Engine) -> list[tuple[Any, ...]]:
    dk = DirtyKey.__table__  # type: ignore[attr-defined]
    cols = (dk.c.key, dk.c.level, dk.c.deal_id, dk.c.account_id, dk.c.version, dk.c.attempts)
    with Session(engine) as s:
        return [tuple(r) for r in s.execute(select(*cols).order_by(dk.c.key))]


def test_taken_activities_leave_the_queue_and_roll_ups_as_leased_ones_do(tmp_path: Path) -> None:
    # An equal but not identical handler: the worker must lease.
    leased_registry = default_registry().replace(
        "activity", FunctionHandler(lambda *a: apply_activities(*a), prepare_activities)
    )
    taken, leased = _store(tmp_path / "t.db"), _store(tmp_path / "l.db")
    w_taken = Worker(make_ctx(taken, settings=settings(activity_batch=5)))
    w_leased = Worker(make_ctx(leased, settings=settings(activity_batch=5)), leased_registry)
    assert w_taken._takes_activities() and not w_leased._takes_activities()
    for _ in range(3):
        assert w_taken.step() == w_leased.step() == 5
        assert _queue(taken) == _queue(leased)
    w_taken.drain()
    w_leased.drain()
    for engine in (taken, leased):
        with Session(engine) as s:
            assert diff_derived(s, org_id="acme", as_of=NOW) == []
    assert w_taken.stats.as_dict().keys() == w_leased.stats.as_dict().keys()
    for level, st in w_taken.stats.levels.items():
        assert st.recomputes == w_leased.stats.levels[level].recomputes, level


def test_a_rolled_back_take_leaves_the_keys_ready(tmp_path: Path) -> None:
    engine = _store(tmp_path / "s.db")
    before = _queue(engine)
    try:
        with write_session(engine) as s:
            assert len(take(s, level="activity", limit=100, now=NOW)) == 3 * len(DEALS)
            raise RuntimeError("crash before commit")
    except RuntimeError:
        pass
    assert _queue(engine) == before
    dk = DirtyKey.__table__  # type: ignore[attr-defined]
    with Session(engine) as s:
        assert (
            s.execute(select(dk.c.lease_owner).where(dk.c.lease_owner.is_not(None))).first() is None
        )


def test_take_clears_the_dead_letters_of_its_keys(tmp_path: Path) -> None:
    engine = _store(tmp_path / "s.db")
    key = _queue(engine)[0][0]
    with session_scope(engine) as s:
        s.add(
            DeadKey(
                key=key,
                org_id="acme",
                level="activity",
                version=1,
                attempts=3,
                error="boom",
                first_marked_at=NOW,
                failed_at=NOW,
            )
        )
    with write_session(engine) as s:
        assert any(c.key == key for c in take(s, level="activity", limit=100, now=NOW))
    with Session(engine) as s:
        assert s.execute(select(DeadKey)).first() is None
