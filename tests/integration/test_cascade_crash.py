"""Crash tests: workers SIGKILLed mid-batch, repeatedly; the survivors (or a restart) finish.

After the queue drains, every derived row must equal a from-scratch recompute and count
every stored event, on PostgreSQL (several workers) and on SQLite (one worker, restarted).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.process import worker_process
from memory.db import create_schema, make_engine
from memory.queue import DirtyKey
from tests.integration.test_cascade_pg import (
    NOW,
    SPAWN,
    assert_complete_and_exact,
    pg,  # noqa: F401  (fixture)
    seed_org,
    wait_drained,
    writer,
)

pytestmark = pytest.mark.integration

SETTINGS = {"batch": 10, "activity_batch": 25, "lease_s": 1.0, "max_attempts": 10, "poll_s": 0.01}


class Fleet:
    """Worker processes that can be killed and replaced."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = SPAWN.Event()
        self.live: dict[str, Any] = {}
        self.dead: list[Any] = []

    def start(self) -> str:
        owner = f"w-{uuid.uuid4().hex[:6]}"
        proc = SPAWN.Process(
            target=worker_process,
            args=(self.url,),
            kwargs={"clock_at": NOW.isoformat(), "settings": SETTINGS}
            | {"stop": self.stop, "owner": owner},
        )
        proc.start()
        self.live[owner] = proc
        return owner

    def kill_mid_batch(self, engine: Engine, owner: str, rng: random.Random) -> bool:
        """SIGKILL ``owner`` while it holds claims; return whether leased keys were left."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and held(engine, owner) == 0:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.004))  # a random point inside the batch
        proc = self.live.pop(owner)
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        self.dead.append(proc)
        return held(engine, owner) > 0

    def finish(self) -> None:
        self.stop.set()
        for proc in self.live.values():
            proc.join(30)
            assert proc.exitcode == 0
        assert all(p.exitcode == -signal.SIGKILL for p in self.dead)


def held(engine: Engine, owner: str) -> int:
    with Session(engine) as s:
        query = select(func.count()).select_from(DirtyKey).where(DirtyKey.lease_owner == owner)
        return int(s.execute(query).scalar_one())


def run_with_kills(engine: Engine, url: str, *, workers: int, kills: int, seed: int) -> int:
    """Write bursts while killing workers at random points; return kills that hit a batch.

    A kill can land just after a batch committed (nothing left leased); such a kill still
    counts as a crash but not as a mid-batch one, so kill again, up to ``3 * kills`` times,
    until ``kills`` of them hit a batch.
    """
    rng = random.Random(seed)
    srcs = seed_org(engine, deals=60, accounts=10)
    fleet = Fleet(url)
    for _ in range(workers):
        fleet.start()
    kills_done = threading.Event()

    def keep_writing(i: int) -> None:
        # Bursts until the last kill (at least 30): a fast writer must not leave the workers
        # idle while the kills land.
        rounds = 0
        while rounds < 3 or not kills_done.is_set():
            writer(engine, srcs, f"w{i}r{rounds}-", seed + 100 * rounds + i, 10)
            rounds += 1

    writers = [threading.Thread(target=keep_writing, args=(i,)) for i in range(2)]
    for w in writers:
        w.start()
    interrupted = 0
    for _ in range(3 * kills):
        if interrupted >= kills:
            break
        time.sleep(rng.uniform(0.1, 0.6))
        victim = rng.choice(list(fleet.live))
        interrupted += fleet.kill_mid_batch(engine, victim, rng)
        fleet.start()
    kills_done.set()
    for w in writers:
        w.join()
    wait_drained(engine, 45)
    fleet.finish()
    return interrupted


def test_postgres_workers_killed_mid_batch(pg: tuple[Engine, str]) -> None:  # noqa: F811
    engine, url = pg
    interrupted = run_with_kills(engine, url, workers=3, kills=5, seed=11)
    assert interrupted >= 2  # the kills really landed while keys were leased
    assert_complete_and_exact(engine)


def test_sqlite_single_worker_killed_and_restarted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = make_engine(url)
    create_schema(engine)
    interrupted = run_with_kills(engine, url, workers=1, kills=4, seed=5)
    assert interrupted >= 2
    assert_complete_and_exact(engine)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(DirtyKey)).scalar_one() == 0
    engine.dispose()
