"""The cheap paths of the queue: idle probe, reused claim statements, one-pass completion."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from agent.cascade.leases import any_ready, claim
from agent.cascade.rollups import deal_row
from agent.cascade.settle import complete, fail
from agent.cascade.stats import RESERVOIR, LevelStats
from agent.cascade.worker import Worker
from memory.db import session_scope
from memory.ids import make_id
from memory.queue import DeadKey, DirtyKey, in_list, mark_dirty
from memory.timeline import Velocity
from tests.factories import day
from tests.unit.cascade.conftest import NOW

T = day(100)
DK: Any = DirtyKey.__table__  # type: ignore[attr-defined]
DEAD: Any = DeadKey.__table__  # type: ignore[attr-defined]


def deal_keys(*srcs: str) -> list[str]:
    return [f"deal:{make_id('deal', 'acme', s)}" for s in srcs]


def reset(engine: Engine, keys: list[str]) -> None:
    with session_scope(engine) as s:
        s.execute(DK.delete())
        mark_dirty(s, "acme", keys, now=T)


def take(engine: Engine, owner: str, limit: int, now: Any = T) -> list[str]:
    with session_scope(engine) as s:
        return [
            c.key for c in claim(s, owner=owner, level="deal", limit=limit, lease_s=10, now=now)
        ]


def test_any_ready_is_false_only_while_every_key_is_leased_or_backing_off(store: Engine) -> None:
    keys = deal_keys("D1", "D2")
    reset(store, keys)
    with session_scope(store) as s:
        assert any_ready(s, now=T)
    assert len(take(store, "w1", 10)) == 2
    with session_scope(store) as s:
        assert not any_ready(s, now=T + timedelta(seconds=5))  # both leased
        assert any_ready(s, now=T + timedelta(seconds=11))  # leases expired
    with session_scope(store) as s:
        claims = claim(s, owner="w2", level="deal", limit=10, lease_s=10, now=T + timedelta(11))
        for c in claims:
            fail(
                s,
                owner="w2",
                claim_=c,
                error="boom",
                max_attempts=5,
                backoff_s=100.0,
                backoff_max_s=100.0,
                now=T + timedelta(11),
            )
    with session_scope(store) as s:
        assert not any_ready(s, now=T + timedelta(11, seconds=50))  # backing off
        assert any_ready(s, now=T + timedelta(11, seconds=101))


def test_a_reused_claim_statement_binds_limit_owner_and_time_per_call(store: Engine) -> None:
    keys = deal_keys("D1", "D2", "D3", "D4")
    reset(store, keys)
    first = take(store, "w1", 1)
    second = take(store, "w2", 2)
    assert (len(first), len(second)) == (1, 2)
    assert not set(first) & set(second)
    with session_scope(store) as s:
        owners = dict(s.execute(select(DK.c.key, DK.c.lease_owner)).tuples().all())
    assert [owners[k] for k in first] == ["w1"]
    assert [owners[k] for k in second] == ["w2", "w2"]
    assert len(take(store, "w3", 10)) == 1  # the only key still free
    assert len(take(store, "w3", 10, now=T + timedelta(seconds=11))) == 4


def test_completing_unchanged_keys_deletes_them_and_their_dead_letters(store: Engine) -> None:
    keys = deal_keys("D1", "D2", "D3")
    reset(store, keys)
    with session_scope(store) as s:
        for key, error in ((keys[0], "old"), (deal_keys("D6")[0], "other")):
            s.add(
                DeadKey(
                    key=key,
                    org_id="acme",
                    level="deal",
                    version=1,
                    attempts=5,
                    error=error,
                    first_marked_at=T,
                    failed_at=T,
                )
            )
    with session_scope(store) as s:
        claims = claim(s, owner="w1", level="deal", limit=10, lease_s=10, now=T)
    with session_scope(store) as s:
        assert complete(s, owner="w1", claims=claims) == (3, 0)
    with session_scope(store) as s:
        assert s.execute(select(DK.c.key)).all() == []
        assert [r[0] for r in s.execute(select(DEAD.c.key))] == deal_keys("D6")


def test_in_list_matches_ids_with_quotes_commas_and_brackets(store: Engine) -> None:
    odd = ["deal:a,b", 'deal:"q"', "deal:[x]", "deal:it's", "deal:plain"]
    with session_scope(store) as s:
        s.execute(DK.delete())
        mark_dirty(s, "acme", odd, now=T, scopes={k: (None, None) for k in odd})
    with session_scope(store) as s:
        found = s.execute(select(DK.c.key).where(in_list(s, DK.c.key, odd[:4])))
        assert sorted(r[0] for r in found) == sorted(odd[:4])


def test_idle_worker_polls_with_one_statement(store: Engine, worker: Callable[..., Worker]) -> None:
    with session_scope(store) as s:
        s.execute(DK.delete())
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(store, "before_cursor_execute", count)
    try:
        assert worker().step() == 0
    finally:
        event.remove(store, "before_cursor_execute", count)
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")


def test_lag_reservoir_keeps_a_bounded_sample_of_everything_seen() -> None:
    stats, rng = LevelStats(), random.Random(3)
    stats.add_lag([1.0] * (RESERVOIR - 10), rng)
    stats.add_lag([2.0] * 20, rng)
    assert (len(stats.lag_ms), stats.lag_seen) == (RESERVOIR, RESERVOIR + 10)
    assert stats.lag_ms.count(2.0) >= 10  # the 10 that fit, plus any replacements
    for _ in range(20):
        stats.add_lag([3.0] * RESERVOIR, rng)
    assert len(stats.lag_ms) == RESERVOIR and stats.lag_seen == 21 * RESERVOIR + 10
    share = stats.lag_ms.count(3.0) / RESERVOIR
    assert 0.9 < share < 0.99  # 20 of the 21 reservoirs' worth seen were 3.0


def test_deal_row_velocity_is_the_plain_dict_of_the_dataclass() -> None:
    from agent.cascade.health import DealHealth

    v = Velocity(12.5, 3.0, 2, 1, 1, 14.0, 1, 0.25, 9, 4, None)
    health = DealHealth(
        deal_id="d1",
        org_id="acme",
        account_id="a1",
        name="Deal",
        fields={"stage": "proposal"},
        velocity=v,
        activities_recorded=9,
        last_buyer_activity_at=None,
        signals=0,
        closed_at=None,
        close_known_at=None,
        inputs_version="x",
    )
    row = deal_row(health, stages=["proposal"], as_of=NOW, now=NOW, stale_buyer_days=14.0)
    assert row["velocity"] == asdict(v)
    assert list(row["velocity"]) == list(asdict(v))
