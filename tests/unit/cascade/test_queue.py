from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from agent.cascade.leases import claim
from agent.cascade.settle import LeaseLost, complete, fail, owned
from memory.db import session_scope
from memory.ids import make_id
from memory.ingest import ingest
from memory.queue import DeadKey, DirtyKey, mark_dirty, requeue_dead
from tests.factories import activity, day
from tests.unit.cascade.conftest import NOW

T = day(100)


def did(src: str) -> str:
    return make_id("deal", "acme", src)


def aid(src: str) -> str:
    return make_id("account", "acme", src)


def rows(engine: Engine) -> dict[str, DirtyKey]:
    with session_scope(engine) as s:
        return {r.key: r for r in s.execute(select(DirtyKey)).scalars()}


def take(engine: Engine, level: str, owner: str = "w1", now=T, **kw) -> list:
    with session_scope(engine) as s:
        return claim(s, owner=owner, level=level, limit=100, lease_s=10, now=now, **kw)


def clear(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.execute(DirtyKey.__table__.delete())


def test_marking_coalesces_into_one_row_and_bumps_the_version(store: Engine) -> None:
    clear(store)
    key = f"deal:{did('D1')}"
    for _ in range(3):
        with session_scope(store) as s:
            mark_dirty(s, "acme", [key, key], now=T)
    found = rows(store)
    assert list(found) == [key]
    assert found[key].version == 3


def test_marking_takes_the_scope_from_the_records(store: Engine) -> None:
    clear(store)
    with session_scope(store) as s:
        ingest(s, activities=[activity("D3", "X1", 5)])
    act_key = f"activity:{make_id('activity', 'acme', 'X1')}"
    found = rows(store)
    assert (found[act_key].deal_id, found[act_key].account_id) == (did("D3"), aid("A2"))
    with session_scope(store) as s:
        mark_dirty(s, "acme", [f"deal:{did('D5')}", f"account:{aid('A1')}", "pipeline:acme"])
    found = rows(store)
    assert found[f"deal:{did('D5')}"].account_id == aid("A3")
    assert found[f"account:{aid('A1')}"].account_id == aid("A1")
    assert found["pipeline:acme"].deal_id is None


def test_keys_of_missing_records_or_other_orgs_are_not_queued(store: Engine) -> None:
    clear(store)
    with session_scope(store) as s:
        n = mark_dirty(s, "other", [f"deal:{did('D1')}", "deal:nope"])
    assert n == 2
    assert rows(store) == {}


def test_unknown_level_is_rejected_with_the_key(store: Engine) -> None:
    with session_scope(store) as s, pytest.raises(ValueError, match="bogus:1"):
        mark_dirty(s, "acme", ["bogus:1"])


def test_parents_wait_for_their_pending_children(store: Engine) -> None:
    clear(store)
    with session_scope(store) as s:
        ingest(s, activities=[activity("D1", "X1", 5)])
        mark_dirty(s, "acme", [f"deal:{did('D1')}", f"deal:{did('D3')}"], now=T)
        mark_dirty(s, "acme", [f"account:{aid('A1')}", f"account:{aid('A2')}", "pipeline:acme"])
    # D1 has a pending activity, D3 has none.
    assert [c.key for c in take(store, "deal")] == [f"deal:{did('D3')}"]
    # A1 waits for D1 (and its activity); A2 waits for D3, which is now in flight.
    assert take(store, "account") == []
    assert take(store, "pipeline") == []
    clear(store)
    with session_scope(store) as s:
        mark_dirty(s, "acme", [f"deal:{did('D1')}", f"account:{aid('A2')}", "pipeline:acme"])
    assert [c.key for c in take(store, "account")] == [f"account:{aid('A2')}"]


def test_a_parent_that_waited_max_defer_runs_anyway(store: Engine) -> None:
    clear(store)
    with session_scope(store) as s:
        mark_dirty(s, "acme", [f"deal:{did('D1')}", f"account:{aid('A1')}"], now=T)
    assert take(store, "account", now=T + timedelta(seconds=5), max_defer_s=10) == []
    late = take(store, "account", now=T + timedelta(seconds=11), max_defer_s=10)
    assert [c.key for c in late] == [f"account:{aid('A1')}"]


def test_a_claim_is_exclusive_until_its_lease_expires(store: Engine) -> None:
    clear(store)
    with session_scope(store) as s:
        mark_dirty(s, "acme", [f"deal:{did('D1')}"], now=T)
    first = take(store, "deal", owner="w1")
    assert [c.attempts for c in first] == [1]
    assert take(store, "deal", owner="w2", now=T + timedelta(seconds=9)) == []
    again = take(store, "deal", owner="w2", now=T + timedelta(seconds=11))
    assert [(c.key, c.attempts) for c in again] == [(first[0].key, 2)]
    with session_scope(store) as s:
        assert owned(s, owner="w1", claims=first) == []
        with pytest.raises(LeaseLost):
            complete(s, owner="w1", claims=first)


def test_complete_deletes_unchanged_keys_and_releases_remarked_ones(store: Engine) -> None:
    clear(store)
    keys = [f"deal:{did('D1')}", f"deal:{did('D2')}"]
    with session_scope(store) as s:
        mark_dirty(s, "acme", keys, now=T)
    claims = take(store, "deal")
    with session_scope(store) as s:
        mark_dirty(s, "acme", [keys[1]], now=T)  # changed while being computed
    with session_scope(store) as s:
        assert complete(s, owner="w1", claims=claims) == (1, 1)
    left = rows(store)
    assert list(left) == [keys[1]]
    assert (left[keys[1]].lease_owner, left[keys[1]].attempts, left[keys[1]].version) == (
        None,
        0,
        2,
    )
    assert [c.key for c in take(store, "deal", owner="w2")] == [keys[1]]


def test_failures_back_off_then_land_in_dead_letters(store: Engine) -> None:
    clear(store)
    key = f"deal:{did('D1')}"
    with session_scope(store) as s:
        mark_dirty(s, "acme", [key], now=T)
    now = T
    for attempt in (1, 2, 3):
        (c,) = take(store, "deal", now=now)
        assert c.attempts == attempt
        with session_scope(store) as s:
            dead = fail(
                s,
                owner="w1",
                claim_=c,
                error=f"boom {attempt}",
                max_attempts=3,
                backoff_s=4,
                backoff_max_s=100,
                now=now,
            )
        assert dead is (attempt == 3)
        if not dead:
            delay = 4 * 2 ** (attempt - 1)
            assert rows(store)[key].not_before == now + timedelta(seconds=delay)
            assert take(store, "deal", now=now + timedelta(seconds=delay - 1)) == []
            now += timedelta(seconds=delay)
    assert rows(store) == {}
    with session_scope(store) as s:
        (letter,) = s.execute(select(DeadKey)).scalars()
        assert (letter.key, letter.attempts, letter.error) == (key, 3, "boom 3")
        assert requeue_dead(s, org_id="acme", now=NOW) == 1
    assert rows(store)[key].attempts == 0
    (c,) = take(store, "deal", now=now)
    with session_scope(store) as s:
        complete(s, owner="w1", claims=[c])
        assert s.execute(select(DeadKey)).first() is None
