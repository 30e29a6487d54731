"""Benchmark of the time-series store: ingest rate, pipeline as-of read, timeline read.

Builds a synthetic org (``deals`` deals with ``events`` field changes spread over 18
months, each deal with a few activities), ingests it through the same
:func:`memory.ingest.ingest` path importers use, then times reads.
"""

from __future__ import annotations

import random
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from memory.asof import pipeline_as_of
from memory.checkpoints import ensure_checkpoints
from memory.db import create_schema, make_engine, session_scope
from memory.ids import content_hash, make_id
from memory.ingest import ingest
from memory.models import DEFAULT_STAGES
from memory.timeline import deal_timeline

START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_DAYS = 540
FIELDS = ("stage", "amount", "close_date", "forecast_category", "owner_id", "lead_source")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _identity(org_id: str, deals: int) -> dict[str, list[dict[str, Any]]]:
    accounts = [
        {
            "id": make_id("account", org_id, f"A{i}"),
            "org_id": org_id,
            "name": f"Account {i}",
            "source_id": f"A{i}",
            "created_at": START,
            "recorded_at": START,
        }
        for i in range(max(deals // 5, 1))
    ]
    rng = random.Random(1)
    deal_rows = [
        {
            "id": make_id("deal", org_id, f"D{i}"),
            "org_id": org_id,
            "account_id": accounts[i % len(accounts)]["id"],
            "name": f"Deal {i}",
            "source_id": f"D{i}",
            "created_at": START + timedelta(days=rng.uniform(0, SPAN_DAYS / 2)),
            "recorded_at": START,
        }
        for i in range(deals)
    ]
    for d in deal_rows:
        d["recorded_at"] = d["created_at"]
    return {"accounts": accounts, "deals": deal_rows}


def _changes(
    org_id: str, deal_rows: list[dict[str, Any]], total: int, batch: int
) -> Iterator[list[dict[str, Any]]]:
    """Yield batches of field changes; each deal gets ``total / deals`` changes in time order."""
    rng = random.Random(2)
    per_deal = max(total // len(deal_rows), 1)
    open_stages = DEFAULT_STAGES[:-2]
    out: list[dict[str, Any]] = []
    for d in deal_rows:
        t = d["created_at"]
        step = (START + timedelta(days=SPAN_DAYS) - t) / (per_deal + 1)
        for j in range(per_deal):
            t = t + step
            field = FIELDS[j % len(FIELDS)]
            if field == "stage":
                value: Any = open_stages[min(j // len(FIELDS), len(open_stages) - 1)]
                if j == per_deal - 1 and rng.random() < 0.4:
                    value = rng.choice(("closed_won", "closed_lost"))
            elif field == "amount":
                value = round(rng.uniform(5_000, 250_000), 2)
            elif field == "close_date":
                value = (t + timedelta(days=rng.randint(10, 120))).date().isoformat()
            elif field == "forecast_category":
                value = rng.choice(("pipeline", "best_case", "commit"))
            elif field == "owner_id":
                value = f"rep{rng.randint(1, 50)}"
            else:
                value = rng.choice(("inbound", "outbound", "partner"))
            late = rng.random() < 0.1
            out.append(
                {
                    "org_id": org_id,
                    "deal_id": d["id"],
                    "field": field,
                    "value": value,
                    "valid_from": t,
                    "recorded_at": t + timedelta(days=rng.uniform(1, 10)) if late else t,
                    "source": "bench",
                    "source_id": f"{d['source_id']}:{j}",
                }
            )
            if len(out) >= batch:
                yield out
                out = []
    if out:
        yield out


def _activities(
    org_id: str, deal_rows: list[dict[str, Any]], per_deal: int
) -> list[dict[str, Any]]:
    rng = random.Random(3)
    rows = []
    for d in deal_rows:
        for k in range(per_deal):
            body = f"Call with the buyer about deal {d['source_id']} ({k})."
            at = d["created_at"] + timedelta(days=rng.uniform(0, 200))
            rows.append(
                {
                    "id": make_id("activity", org_id, f"{d['source_id']}:a{k}"),
                    "org_id": org_id,
                    "deal_id": d["id"],
                    "kind": "call",
                    "body": body,
                    "participants": [{"name": "B", "side": "buyer"}],
                    "occurred_at": at,
                    "recorded_at": at,
                    "source_id": f"{d['source_id']}:a{k}",
                    "content_hash": content_hash(body),
                }
            )
    return rows


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(q * (len(ordered) - 1))), len(ordered) - 1)]


def run(
    *,
    events: int = 1_000_000,
    deals: int = 10_000,
    url: str | None = None,
    batch: int = 20_000,
    repeats: int = 5,
) -> dict[str, Any]:
    """Run the benchmark and return ``{"metrics": {...}, "config": {...}}``.

    Args:
        events: Field changes to ingest (timed).
        deals: Deals they are spread over (pipeline as-of reads all of them).
        url: Database URL; default a fresh SQLite file in a temporary directory.
        batch: Events per ingest transaction.
        repeats: Timed repetitions of each read.
    """
    org_id = "bench"
    with tempfile.TemporaryDirectory() as tmp:
        engine: Engine = make_engine(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        create_schema(engine)
        ident = _identity(org_id, deals)
        with session_scope(engine) as s:
            ingest(s, orgs=[{"id": org_id, "name": "Bench", "created_at": START}], **ident)
            ingest(s, activities=_activities(org_id, ident["deals"], 3))
        started = time.perf_counter()
        ingested, ingest_s = 0, 0.0  # time inside ingest() and its commit only
        for chunk in _changes(org_id, ident["deals"], events, batch):
            t0 = time.perf_counter()
            with session_scope(engine) as s:
                report = ingest(s, changes=chunk)
            ingest_s += time.perf_counter() - t0
            ingested += report.inserted["changes"]
        with_generation_s = time.perf_counter() - started
        rss_after_ingest = _peak_rss_mb()
        t0 = time.perf_counter()
        with session_scope(engine) as s:
            checkpoints = len(
                ensure_checkpoints(s, org_id=org_id, now=START + timedelta(days=SPAN_DAYS))
            )
        checkpoint_s = time.perf_counter() - t0

        instants = [START + timedelta(days=d) for d in (120, 300, 450, SPAN_DAYS)]
        asof_ms: list[float] = []
        asof_known_ms: list[float] = []
        open_deals = 0
        for _ in range(repeats):
            for t in instants:
                with session_scope(engine) as s:
                    t0 = time.perf_counter()
                    open_deals = len(pipeline_as_of(s, org_id=org_id, as_of=t))
                    asof_ms.append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    pipeline_as_of(s, org_id=org_id, as_of=t, known_at=t)
                    asof_known_ms.append((time.perf_counter() - t0) * 1000)
        rng = random.Random(4)
        timeline_ms: list[float] = []
        with session_scope(engine) as s:
            for _ in range(200 * repeats):
                d = rng.choice(ident["deals"])
                t0 = time.perf_counter()
                deal_timeline(s, org_id=org_id, deal_id=d["id"])
                timeline_ms.append((time.perf_counter() - t0) * 1000)
        backend = engine.dialect.name
        engine.dispose()
    return {
        "metrics": {
            "events_per_s": round(ingested / ingest_s, 1),
            "ingest_s": round(ingest_s, 2),
            "events_per_s_with_generation": round(ingested / with_generation_s, 1),
            "events_ingested": ingested,
            "pipeline_asof_ms": round(statistics.median(asof_ms), 2),
            "pipeline_asof_p95_ms": round(_percentile(asof_ms, 0.95), 2),
            "pipeline_asof_known_at_ms": round(statistics.median(asof_known_ms), 2),
            "pipeline_open_deals_last": open_deals,
            "checkpoints_built": checkpoints,
            "checkpoint_build_s": round(checkpoint_s, 2),
            "timeline_ms": round(statistics.median(timeline_ms), 3),
            "timeline_p95_ms": round(_percentile(timeline_ms, 0.95), 3),
            "peak_rss_mb": round(max(rss_after_ingest, _peak_rss_mb()), 1),
        },
        "config": {"events": events, "deals": deals, "backend": backend, "batch": batch},
    }
