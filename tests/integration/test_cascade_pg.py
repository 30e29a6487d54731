"""The cascade on PostgreSQL: SKIP LOCKED claims, and 4 workers against interleaved writers."""

from __future__ import annotations

import multiprocessing as mp
import random
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.leases import claim
from agent.cascade.process import worker_process
from agent.cascade.verify import diff_derived
from memory.db import create_schema, make_engine, session_scope
from memory.derived import DealRollup, PipelineRollup, deal_freshness, org_freshness
from memory.ids import make_id
from memory.ingest import ingest
from memory.models import Activity
from memory.queue import DeadKey, DirtyKey, mark_dirty, pending
from tests.conftest import PG_ADMIN_URL
from tests.factories import account, activity, change, day, deal, org

pytestmark = pytest.mark.integration

NOW = day(90)
SPAWN = mp.get_context("spawn")


@pytest.fixture
def pg() -> Iterator[tuple[Engine, str]]:
    """A fresh PostgreSQL database (engine and URL for worker processes), dropped afterwards."""
    name = f"keel_cascade_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not usable: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    create_schema(engine)
    try:
        yield engine, url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed_org(engine: Engine, deals: int = 40, accounts: int = 8) -> list[str]:
    """An org with ``deals`` deals over ``accounts`` accounts; returns the deals' source ids."""
    srcs = [f"D{i}" for i in range(deals)]
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org()],
            accounts=[account(src=f"A{i}") for i in range(accounts)],
            deals=[deal(src=d, account_src=f"A{i % accounts}") for i, d in enumerate(srcs)],
            changes=[change(d, "stage", "discovery", 1) for d in srcs]
            + [change(d, "amount", 1000.0 + i, 1) for i, d in enumerate(srcs)],
        )
    return srcs


def start_workers(url: str, count: int, settings: dict[str, Any]) -> tuple[Any, list[Any]]:
    stop = SPAWN.Event()
    readies = [SPAWN.Event() for _ in range(count)]
    procs = [
        SPAWN.Process(
            target=worker_process,
            args=(url,),
            kwargs={"clock_at": NOW.isoformat(), "settings": settings, "stop": stop, "ready": r},
        )
        for r in readies
    ]
    for p in procs:
        p.start()
    for r in readies:
        assert r.wait(60), "a worker process did not start"
    return stop, procs


def wait_drained(engine: Engine, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with Session(engine) as s:
            if pending(s, org_id="acme") == 0:
                return
        time.sleep(0.1)
    with Session(engine) as s:
        left = s.execute(select(DirtyKey.key, DirtyKey.lease_owner, DirtyKey.attempts)).all()
    raise AssertionError(f"queue not drained after {timeout_s} s: {left[:10]}")


def assert_complete_and_exact(engine: Engine) -> None:
    """Every derived row equals a from-scratch recompute and counts every stored event."""
    with Session(engine) as s:
        problems = diff_derived(s, org_id="acme", as_of=NOW)
        assert problems == [], problems
        assert s.execute(select(func.count()).select_from(DeadKey)).scalar_one() == 0
        acts = s.execute(select(func.count()).select_from(Activity)).scalar_one()
        pipe = s.get(PipelineRollup, "acme")
        assert pipe is not None and pipe.activities == acts, (pipe, acts)
        ids = list(s.execute(select(DealRollup.deal_id)).scalars())
        assert all(f.fresh for f in deal_freshness(s, deal_ids=ids).values())
        assert org_freshness(s, org_id="acme").fresh


def test_concurrent_claims_skip_each_others_rows(pg: tuple[Engine, str]) -> None:
    engine, _ = pg
    srcs = seed_org(engine)
    with session_scope(engine) as s:
        s.execute(text("DELETE FROM dirty_key"))
        mark_dirty(s, "acme", [f"deal:{make_id('deal', 'acme', d)}" for d in srcs])
    with Session(engine) as a, Session(engine) as b:
        first = claim(a, owner="a", level="deal", limit=25, lease_s=30)  # rows stay locked
        started = time.monotonic()
        second = claim(b, owner="b", level="deal", limit=25, lease_s=30)
        assert time.monotonic() - started < 2  # skipped, did not wait
        a.commit()
        b.commit()
    assert len(first) == 25 and len(second) == 15
    assert not {c.key for c in first} & {c.key for c in second}


def writer(engine: Engine, srcs: list[str], name: str, seed: int, txns: int) -> None:
    rng = random.Random(seed)
    for t in range(txns):
        hot = rng.sample(srcs, 4)
        acts = [activity(rng.choice(hot), f"{name}{t}:{k}", rng.uniform(2, 85)) for k in range(8)]
        changes = [
            change(
                d,
                "amount",
                float(rng.randint(1, 99) * 100),
                rng.uniform(2, 85),
                src=f"{name}{t}:{d}",
            )
            for d in hot[:2]
        ]
        with session_scope(engine) as s:
            ingest(s, activities=acts, changes=changes)
        time.sleep(rng.uniform(0, 0.02))


def test_four_workers_and_interleaved_writers_lose_and_double_nothing(
    pg: tuple[Engine, str],
) -> None:
    engine, url = pg
    srcs = seed_org(engine)
    stop, procs = start_workers(url, 4, {"batch": 7, "activity_batch": 15, "poll_s": 0.01})
    writers = [
        threading.Thread(target=writer, args=(engine, srcs, f"w{i}", i, 30)) for i in range(2)
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    wait_drained(engine, 45)
    stop.set()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 4
    assert_complete_and_exact(engine)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Activity)).scalar_one() == 2 * 30 * 8
        workers_used = s.execute(
            text("SELECT count(DISTINCT owner) FROM cascade_stat")
        ).scalar_one()
    assert workers_used == 4  # the work really was shared
