from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.context import FunctionHandler
from agent.cascade.registry import default_registry
from agent.cascade.status import queue_status
from agent.cascade.verify import diff_derived
from agent.cascade.worker import Worker, run_workers
from memory.db import session_scope
from memory.derived import DealRollup, deal_freshness, org_freshness
from memory.ids import make_id
from memory.ingest import ingest
from memory.models import ActivitySignal
from memory.queue import DirtyKey, mark_dirty
from tests.factories import activity, change, day, deal
from tests.unit.cascade.conftest import DEALS, NOW, FakeNow, make_ctx, settings

D1 = make_id("deal", "acme", "D1")


def pending(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(DirtyKey)).scalar_one())


def diff(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return diff_derived(s, org_id="acme", as_of=NOW)


@pytest.mark.parametrize("seed", range(6))
def test_interleaved_writes_and_partial_runs_end_equal_to_a_recompute(
    store: Engine, worker: Callable[..., Worker], seed: int
) -> None:
    rng = random.Random(seed)
    w = worker(settings=settings(batch=3, activity_batch=4))
    n = 0
    for _ in range(25):
        if rng.random() < 0.5:
            w.step()
            continue
        with session_scope(store) as s:
            d = rng.choice(list(DEALS))
            n += 1
            if rng.random() < 0.5:
                ingest(
                    s,
                    activities=[activity(d, f"X{n}", rng.uniform(0, 59), buyer=rng.random() < 0.5)],
                )
            elif rng.random() < 0.8:
                field, value = rng.choice(
                    [
                        ("stage", rng.choice(["proposal", "closed_won", "closed_lost"])),
                        ("amount", 77.0 * n),
                    ]
                )
                ingest(s, changes=[change(d, field, value, rng.uniform(2, 59), src=f"c{n}")])
            else:
                ingest(
                    s, deals=[deal(src=f"N{n}", account_src=rng.choice(["A1", "A2"]), created=2)]
                )
    w.drain()
    assert pending(store) == 0
    assert diff(store) == []
    with Session(store) as s:
        assert org_freshness(s, org_id="acme").fresh
        ids = list(s.execute(select(DealRollup.deal_id)).scalars())
        assert all(f.fresh for f in deal_freshness(s, deal_ids=ids).values())


def test_a_burst_on_one_deal_costs_one_recompute_per_ancestor(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    worker().drain()
    for t in range(5):
        with session_scope(store) as s:
            ingest(s, activities=[activity("D1", f"X{t}:{k}", 10 + k) for k in range(10)])
    stats = worker().drain().as_dict()
    recomputes = {level: s["recomputes"] for level, s in stats.items()}
    assert recomputes == {"activity": 50, "deal": 1, "account": 1, "pipeline": 1}


def test_a_key_remarked_while_in_flight_runs_again(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    worker().drain()
    base = default_registry().get("deal")
    calls = []

    def prepare(ctx: Any, session: Session, org_id: str, claims: Sequence[Any]) -> Any:
        if not calls:  # a writer commits between this worker's read and its write
            with session_scope(store) as other:
                ingest(other, changes=[change("D1", "amount", 4321.0, 30)])
        calls.append(len(claims))
        return base.prepare(ctx, session, org_id, claims)

    with session_scope(store) as s:
        mark_dirty(s, "acme", [f"deal:{D1}"])
    w = worker(default_registry().replace("deal", FunctionHandler(base.apply, prepare)))
    stats = w.drain().as_dict()
    assert stats["deal"]["reruns"] == 1 and stats["deal"]["recomputes"] == 2
    assert diff(store) == []
    with Session(store) as s:
        row = s.get(DealRollup, D1)
        assert row is not None and row.amount == 4321.0


def test_a_worker_that_lost_its_lease_writes_nothing(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    worker().drain()
    clock = FakeNow(day(200))
    base = default_registry().get("deal")
    rival = worker(owner="rival", now=lambda: clock())

    def slow_prepare(ctx: Any, session: Session, org_id: str, claims: Sequence[Any]) -> Any:
        clock.advance(60)  # this worker stalls past its lease; the rival takes over
        rival.drain()
        rows = base.prepare(ctx, session, org_id, claims)
        return {k: v | {"name": "STALE"} for k, v in rows.items()}

    with session_scope(store) as s:
        mark_dirty(s, "acme", [f"deal:{D1}"])
    stalled = worker(
        default_registry().replace("deal", FunctionHandler(base.apply, slow_prepare)),
        owner="stalled",
        now=clock,
    )
    stalled.step()
    assert stalled.stats.level("deal").lost_leases == 1
    assert stalled.stats.level("deal").recomputes == 0
    with Session(store) as s:
        row = s.get(DealRollup, D1)
        assert row is not None and row.name == "Deal D1"
    assert pending(store) == 0 and diff(store) == []


def test_a_failing_key_is_isolated_retried_and_dead_lettered(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    base = default_registry().get("deal")

    def apply(ctx: Any, session: Session, org_id: str, claims: Sequence[Any], prepared: Any) -> Any:
        if any(c.ident == D1 for c in claims):
            raise RuntimeError("scorer exploded on D1")
        return base.apply(ctx, session, org_id, claims, prepared)

    w = worker(default_registry().replace("deal", FunctionHandler(apply, base.prepare)))
    stats = w.drain().as_dict()
    assert stats["deal"]["failures"] == 3 and stats["deal"]["dead"] == 1
    assert stats["deal"]["recomputes"] == len(DEALS) - 1
    with Session(store) as s:
        status = queue_status(s, now=NOW)
        assert s.get(DealRollup, D1) is None
        assert s.get(DealRollup, make_id("deal", "acme", "D2")) is not None
        assert not org_freshness(s, org_id="acme").fresh
    assert status["depth"] == 0
    (letter,) = status["dead_letters"]["items"]
    assert letter["key"] == f"deal:{D1}" and "scorer exploded on D1" in letter["error"]
    assert status["recomputes"]["deal"]["failures"] == 3


class FakeExtractor:
    name = "fake-v1"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def extract(self, activities: Sequence[Any]) -> list[dict[str, Any]]:
        self.seen += [a.activity_id for a in activities]
        return [{"chars": len(a.body)} if a.kind == "call" else {} for a in activities]


def test_signals_are_extracted_once_per_content(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    extractor = FakeExtractor()
    with session_scope(store) as s:
        ingest(s, activities=[activity("D1", "X1", 5), activity("D1", "X2", 6, kind="email")])
    worker(extractor=extractor).drain()
    assert len(extractor.seen) == 2
    with Session(store) as s:
        row = s.get(DealRollup, D1)
        assert row is not None and row.signals == 2
        keys = [f"activity:{a}" for a in extractor.seen]
    with session_scope(store) as s:
        mark_dirty(s, "acme", keys)
    worker(extractor=extractor).drain()
    assert len(extractor.seen) == 2  # nothing re-extracted, "nothing found" included
    with Session(store) as s:
        payloads = s.execute(select(ActivitySignal.payload).order_by(ActivitySignal.id)).scalars()
        assert list(payloads) == [{"chars": len("Call notes.")}, {}]


class FakeScorer:
    def __init__(self, version: str) -> None:
        self.model_version = version

    def score(
        self, session: Session, *, org_id: str, deal_ids: Sequence[str], as_of: Any
    ) -> dict[str, Any]:
        from agent.cascade.context import DealScore

        return {d: DealScore(0.9, self.model_version) for d in deal_ids}


def test_a_scorer_weights_deals_and_versions_their_inputs(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    worker(scorer=FakeScorer("m1")).drain()
    with Session(store) as s:
        row = s.get(DealRollup, D1)
        assert row is not None
        assert (row.score, row.weight, row.weighted_amount, row.model_version) == (
            0.9,
            0.9,
            900.0,
            "m1",
        )
        assert row.inputs_version.endswith("model:m1")
        assert deal_freshness(s, deal_ids=[D1], model_version="m1")[D1].fresh
        assert not deal_freshness(s, deal_ids=[D1], model_version="m2")[D1].fresh


def test_closing_a_deal_snapshots_it_once_per_close(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    from memory.derived import TrainingSnapshot

    with session_scope(store) as s:
        ingest(s, changes=[change("D1", "stage", "closed_won", 5)])
    worker().drain()
    with session_scope(store) as s:
        ingest(s, activities=[activity("D1", "AFTER", 7)])
    again = worker().drain().as_dict()
    assert "training" not in again
    with session_scope(store) as s:
        ingest(
            s,
            changes=[
                change("D1", "stage", "proposal", 20),
                change("D1", "stage", "closed_lost", 30),
            ],
        )
    worker().drain()
    with Session(store) as s:
        snaps = list(
            s.execute(select(TrainingSnapshot).order_by(TrainingSnapshot.closed_at)).scalars()
        )
    assert [(x.outcome, x.closed_at) for x in snaps] == [("won", day(5)), ("lost", day(30))]
    assert snaps[0].state["fields"]["stage"] == "closed_won"


def test_run_workers_once_drains_and_stops(store: Engine) -> None:
    stats = asyncio.run(run_workers(make_ctx(store), once=True))
    assert stats.recomputes > 0 and pending(store) == 0 and diff(store) == []
    with pytest.raises(ValueError, match="in-memory"):
        asyncio.run(run_workers(make_ctx(store), concurrency=2))


def test_a_slow_handler_keeps_its_lease_by_heartbeat(tmp_path: Any) -> None:
    import threading
    import time

    from memory.db import create_schema, make_engine
    from tests.unit.cascade.conftest import seed

    engine = make_engine(f"sqlite:///{tmp_path / 'hb.db'}")
    create_schema(engine)
    seed(engine)
    fast = settings(lease_s=0.3)
    Worker(make_ctx(engine, settings=fast)).drain()
    base = default_registry().get("deal")
    rival_claims: list[int] = []
    rival = Worker(make_ctx(engine, settings=fast), owner="rival")

    def slow_prepare(ctx: Any, session: Session, org_id: str, claims: Sequence[Any]) -> Any:
        probe = threading.Thread(target=lambda: rival_claims.append(rival.step()))
        time.sleep(0.5)  # well past the 0.3 s lease: only the heartbeat keeps it
        probe.start()
        probe.join()
        time.sleep(0.2)
        return base.prepare(ctx, session, org_id, claims)

    with session_scope(engine) as s:
        mark_dirty(s, "acme", [f"deal:{D1}"])
    slow = Worker(
        make_ctx(engine, settings=fast),
        default_registry().replace("deal", FunctionHandler(base.apply, slow_prepare)),
        owner="slow",
    )
    assert slow.step() == 1
    assert rival_claims == [0]
    assert slow.stats.level("deal").lost_leases == 0 and slow.stats.level("deal").recomputes == 1
    engine.dispose()


@pytest.mark.parametrize(("parent_wait_s", "first"), [(2.0, "account"), (None, "activity")])
def test_parents_that_waited_go_before_a_stream_of_children(
    store: Engine, worker: Callable[..., Worker], parent_wait_s: float | None, first: str
) -> None:
    worker().drain()
    clock = FakeNow(day(200))
    with session_scope(store) as s:
        mark_dirty(s, "acme", [f"account:{make_id('account', 'acme', 'A3')}"], now=clock())
    clock.advance(5)
    with session_scope(store) as s:  # a steady stream of new activity elsewhere
        ingest(s, activities=[activity("D1", f"S{k}", 40) for k in range(5)])
    w = worker(settings=settings(parent_wait_s=parent_wait_s), now=clock)
    w.step()
    assert list(w.stats.levels) == [first]
