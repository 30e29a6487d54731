"""Benchmark of the async cascade: bursty activity in, fresh pipeline roll-up out.

Seeds ``deals`` deals over ``accounts`` accounts (fields only) and lets the cascade settle
(untimed). Then a writer ingests ``events`` activities in bursts (one transaction per
burst; each burst hits the deals of ``burst_accounts`` random accounts, as a CRM sync or
an email thread would) while ``workers`` worker processes run the cascade. Measured:

- ``events_per_s``: events / seconds from the first burst to a drained queue with the
  pipeline roll-up counting every event (end to end, ingest included);
- recomputes per level, and ``recompute_reduction_x``: the recomputes a naive cascade
  would do (every event recomputes its deal, account and pipeline) divided by the
  ancestor recomputes actually done (activity-level work is one per event in both);
- lag: per burst, commit to the first pipeline roll-up that counts it (p50/p99);
- peak RSS of the writer and of each worker.

At the end the stored roll-ups are compared with a from-scratch recompute.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlmodel import Session

from agent.cascade.context import CascadeContext
from agent.cascade.process import peak_rss_mb, worker_process
from agent.cascade.stats import percentile
from agent.cascade.verify import diff_derived
from agent.cascade.worker import Worker
from memory.db import create_schema, make_engine, session_scope
from memory.derived import PipelineRollup
from memory.ids import content_hash, make_id
from memory.ingest import ingest
from memory.models import DEFAULT_STAGES
from memory.queue import pending

ORG = "bench"
START = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
OPEN_STAGES = DEFAULT_STAGES[:-2]
PIPELINE: Any = PipelineRollup.__table__  # type: ignore[attr-defined]


def _seed(engine: Any, deals: int, accounts: int) -> None:
    rng = random.Random(1)
    acc = [
        {"id": make_id("account", ORG, f"A{i}"), "org_id": ORG, "name": f"Account {i}"}
        | {"source_id": f"A{i}", "created_at": START, "recorded_at": START}
        for i in range(accounts)
    ]
    deal_rows, changes = [], []
    for i in range(deals):
        created = START + timedelta(days=rng.uniform(0, 200))
        deal_id = make_id("deal", ORG, f"D{i}")
        deal_rows.append(
            {
                "id": deal_id,
                "org_id": ORG,
                "account_id": acc[i % accounts]["id"],
                "name": f"Deal {i}",
            }
            | {"source_id": f"D{i}", "created_at": created, "recorded_at": created}
        )
        stage = rng.choice(OPEN_STAGES) if rng.random() > 0.1 else rng.choice(DEFAULT_STAGES[-2:])
        values = {
            "stage": stage,
            "amount": round(rng.uniform(5_000, 250_000), 2),
            "forecast_category": rng.choice(("pipeline", "best_case", "commit")),
            "close_date": (created + timedelta(days=rng.randint(60, 400))).date().isoformat(),
            "owner_id": f"rep{rng.randint(1, 50)}",
        }
        for field, value in values.items():
            changes.append(
                {"org_id": ORG, "deal_id": deal_id, "field": field, "value": value}
                | {"valid_from": created, "recorded_at": created, "source_id": f"D{i}:{field}"}
            )
    with session_scope(engine) as s:
        ingest(s, orgs=[{"id": ORG, "name": "Bench", "created_at": START}], accounts=acc)
        ingest(s, deals=deal_rows, changes=changes)


def _bursts(
    events: int, deals: int, accounts: int, burst: int, burst_accounts: int, *, phase: str = "E"
) -> Iterator[list[dict[str, Any]]]:
    """Yield one list of activity rows per burst (generated lazily: bounded memory)."""
    rng = random.Random(f"{phase}:2")
    n = 0
    while n < events:
        hot = rng.sample(range(accounts), min(burst_accounts, accounts))
        hot_deals = [d for a in hot for d in range(a, deals, accounts)]
        rows = []
        for _ in range(min(burst, events - n)):
            d = rng.choice(hot_deals)
            at = NOW - timedelta(days=rng.uniform(0, 60))
            body = f"Follow-up {phase}{n} on deal D{d}."
            buyer = rng.random() < 0.6
            rows.append(
                {
                    "id": make_id("activity", ORG, f"{phase}{n}"),
                    "org_id": ORG,
                    "deal_id": make_id("deal", ORG, f"D{d}"),
                    "kind": rng.choice(("call", "email", "meeting", "note")),
                    "body": body,
                    "participants": [{"name": "B", "side": "buyer" if buyer else "seller"}],
                    "direction": "inbound" if buyer else "outbound",
                    "occurred_at": at,
                    "recorded_at": at,
                    "source_id": f"{phase}{n}",
                    "content_hash": content_hash(body),
                }
            )
            n += 1
        yield rows


@contextmanager
def _database(url: str | None, tmp: str) -> Iterator[str]:
    """A fresh store: a SQLite file, or a new database on the given PostgreSQL server."""
    if url is None or url.startswith("sqlite"):
        yield url or f"sqlite:///{Path(tmp) / 'cascade.db'}"
        return
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"keel_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class _Sampler(threading.Thread):
    """Polls the pipeline roll-up: when did it first count ``n`` activities?"""

    def __init__(self, engine: Any, every_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.engine, self.every_s = engine, every_s
        self.samples: list[tuple[float, int]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        """Sample until halted."""
        query = select(PIPELINE.c.activities).where(PIPELINE.c.org_id == ORG)
        while not self.halt.is_set():
            with Session(self.engine) as s:
                value = s.execute(query).scalar()
            if value is not None and (not self.samples or value != self.samples[-1][1]):
                self.samples.append((time.perf_counter(), int(value)))
            self.halt.wait(self.every_s)

    def first_time_at_least(self, count: int) -> float | None:
        """When the pipeline first counted ``count`` activities (``None``: never seen)."""
        for at, value in self.samples:
            if value >= count:
                return at
        return None


class _Workers:
    """Worker processes of the benchmark (spawned, so each has its own engine)."""

    def __init__(self, url: str, count: int, settings: dict[str, Any]) -> None:
        ctx = mp.get_context("spawn")
        self.stop, self.results = ctx.Event(), ctx.Queue()
        readies = [ctx.Event() for _ in range(count)]
        self.procs = [
            ctx.Process(
                target=worker_process,
                args=(url,),
                kwargs={"clock_at": NOW.isoformat(), "stop": self.stop, "settings": settings}
                | {"ready": r, "results": self.results},
            )
            for r in readies
        ]
        for p in self.procs:
            p.start()
        for r in readies:
            r.wait(120)

    def finish(self) -> list[dict[str, Any]]:
        self.stop.set()
        reports = [self.results.get(timeout=120) for _ in self.procs]
        for p in self.procs:
            p.join(60)
        return reports


def _ingest_bursts(engine: Any, bursts: Iterator[list[dict[str, Any]]]) -> list[tuple[float, int]]:
    """Ingest each burst in one transaction; return ``(commit time, events so far)``."""
    commits: list[tuple[float, int]] = []
    written = 0
    for rows in bursts:
        with session_scope(engine) as s:
            written += ingest(s, activities=rows).inserted["activities"]
        commits.append((time.perf_counter(), written))
    return commits


def _wait_fresh(engine: Any, activities: int) -> float:
    """Block until the queue is drained and the pipeline counts ``activities``; return when."""
    while True:
        with Session(engine) as s:
            levels = ("activity", "deal", "account", "pipeline")
            done = pending(s, org_id=ORG, levels=levels) == 0
            query = select(PIPELINE.c.activities).where(PIPELINE.c.org_id == ORG)
            counted = s.execute(query).scalar()
        if done and counted is not None and counted >= activities:
            return time.perf_counter()
        time.sleep(0.01)


def _levels(reports: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for rep in reports:
        for level, st in rep["stats"].items():
            out[level] = out.get(level, 0) + int(st["recomputes"])
    return out


def _phase_metrics(
    prefix: str, events: int, seconds: float, reports: list[dict[str, Any]]
) -> dict[str, float]:
    levels = _levels(reports)
    ancestors = sum(levels.get(lv, 0) for lv in ("deal", "account", "pipeline"))
    cpu = sum(float(r["cpu_s"]) for r in reports)
    return {
        f"{prefix}events_per_s": round(events / seconds, 1),
        f"{prefix}elapsed_s": round(seconds, 2),
        f"{prefix}recomputes_activity": levels.get("activity", 0),
        f"{prefix}recomputes_deal": levels.get("deal", 0),
        f"{prefix}recomputes_account": levels.get("account", 0),
        f"{prefix}recomputes_pipeline": levels.get("pipeline", 0),
        f"{prefix}recompute_reduction_x": round(3 * events / max(ancestors, 1), 1),
        # CPU seconds of the worker processes: comparable across runs on a busy machine.
        f"{prefix}worker_cpu_s": round(cpu, 2),
        f"{prefix}events_per_worker_cpu_s": round(events / cpu, 1) if cpu else 0.0,
    }


def _end_to_end(
    engine: Any,
    url: str,
    workers: int,
    settings: dict[str, Any],
    bursts: Iterator[list[dict[str, Any]]],
) -> tuple[dict[str, float], list[float], int]:
    """Ingest ``bursts`` while ``workers`` run; return metrics, workers' RSS, events."""
    pool = _Workers(url, workers, settings)
    sampler = _Sampler(engine)
    sampler.start()
    started = time.perf_counter()
    commits = _ingest_bursts(engine, bursts)
    ingest_s = time.perf_counter() - started
    written = commits[-1][1] if commits else 0
    elapsed = _wait_fresh(engine, written) - started
    sampler.halt.set()
    sampler.join()
    reports = pool.finish()
    lags = [
        ((sampler.first_time_at_least(n) or time.perf_counter()) - at) * 1000 for at, n in commits
    ]
    metrics = _phase_metrics("", written, elapsed, reports) | {
        "ingest_only_events_per_s": round(written / ingest_s, 1),
        "lag_p50_ms": round(percentile(lags, 0.5), 1),
        "lag_p99_ms": round(percentile(lags, 0.99), 1),
    }
    return metrics, [r["peak_rss_mb"] for r in reports], written


def run(
    *,
    events: int = 100_000,
    deals: int = 5_000,
    accounts: int = 1_000,
    workers: int = 1,
    url: str | None = None,
    burst: int = 2_000,
    burst_accounts: int = 20,
    drain_events: int | None = None,
    verify: bool = True,
    max_defer_s: float | None = None,
) -> dict[str, Any]:
    """Run the benchmark and return ``{"metrics": {...}, "config": {...}, ...}``.

    Two phases. End to end: ``events`` are ingested in bursts while the workers run.
    Drain: ``drain_events`` (default ``events``; 0 skips it) are ingested with no worker
    running, then workers start and the time to a fresh pipeline is the cascade's own
    capacity on a deep queue (the back-pressure case).

    Args:
        events: Activities ingested in the end-to-end phase.
        deals: Deals they are spread over (``deals / accounts`` per account).
        accounts: Accounts.
        workers: Worker processes.
        url: ``None`` for a temporary SQLite file; a PostgreSQL server URL (any
            database on it) to run in a fresh temporary database there.
        burst: Activities per burst (one ingest transaction).
        burst_accounts: Accounts whose deals one burst touches.
        drain_events: Activities of the drain phase.
        verify: Compare the stored roll-ups with a from-scratch recompute at the end.
        max_defer_s: Let parents that waited this long run before their children are
            done (fresher roll-ups under sustained load, more recomputes); ``None``: never.
    """
    drain_events = events if drain_events is None else drain_events
    settings = {"max_defer_s": max_defer_s} if max_defer_s is not None else {}
    metrics: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, _database(url, tmp) as db_url:
        engine = make_engine(db_url)
        create_schema(engine)
        _seed(engine, deals, accounts)
        Worker(CascadeContext(engine=engine, clock=lambda: NOW)).drain()
        rss: list[float] = []
        written = 0
        if events:
            bursts = _bursts(events, deals, accounts, burst, burst_accounts)
            found, rss, written = _end_to_end(engine, db_url, workers, settings, bursts)
            metrics |= found
        if drain_events:
            bursts = _bursts(drain_events, deals, accounts, burst, burst_accounts, phase="F")
            total = _ingest_bursts(engine, bursts)[-1][1] + written
            pool = _Workers(db_url, workers, settings)  # timed from when they are up
            started = time.perf_counter()
            elapsed = _wait_fresh(engine, total) - started
            reports = pool.finish()
            metrics |= _phase_metrics("drain_", total - written, elapsed, reports)
            rss += [r["peak_rss_mb"] for r in reports]
        problems: list[str] = []
        if verify:
            with Session(engine) as s:
                problems = diff_derived(s, org_id=ORG, as_of=NOW)
        backend = engine.dialect.name
        engine.dispose()
    metrics |= {
        "writer_peak_rss_mb": round(peak_rss_mb(), 1),
        "worker_peak_rss_mb": max(rss, default=0.0),
        "verify_mismatches": len(problems),
    }
    return {
        "metrics": metrics,
        "problems": problems[:10],
        "config": {
            "backend": backend,
            "workers": workers,
            "events": events,
            "drain_events": drain_events,
            "deals": deals,
            "accounts": accounts,
            "burst": burst,
            "burst_accounts": burst_accounts,
            "max_defer_s": max_defer_s,
            "naive": "every event recomputes its deal, its account and the pipeline",
        },
    }
