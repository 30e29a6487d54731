"""A cascade worker as its own OS process (benchmarks and crash tests start several).

:func:`worker_process` is a ``multiprocessing`` target: it opens its own engine, runs one
:class:`~agent.cascade.worker.Worker` until told to stop and reports its stats and peak
memory on a queue. It is also what ``kill -9`` hits in the crash tests.
"""

from __future__ import annotations

import resource
import time
from datetime import datetime
from typing import Any

from agent.cascade.context import CascadeContext
from agent.cascade.settings import CascadeSettings
from agent.cascade.worker import Worker
from memory.db import make_engine


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker_process(
    url: str,
    *,
    clock_at: str | None = None,
    settings: dict[str, Any] | None = None,
    stop: Any = None,
    ready: Any = None,
    results: Any = None,
    exit_when_idle: bool = False,
    owner: str | None = None,
) -> None:
    """Run one worker until ``stop`` (a ``multiprocessing.Event``) is set.

    Args:
        url: Database URL of the store.
        clock_at: ISO instant to pin the business clock to (reproducible roll-ups).
        settings: Overrides of :class:`CascadeSettings` fields.
        stop: Event that ends the loop after the current batch.
        ready: Event set once the process is up (imports done, engine open).
        results: Queue that receives ``{"stats", "lag_ms", "peak_rss_mb", "cpu_s"}``.
        exit_when_idle: Stop as soon as no key is ready (instead of polling).
        owner: Lease owner name (default: host, pid and a random suffix).
    """
    engine = make_engine(url)
    pinned = datetime.fromisoformat(clock_at) if clock_at else None
    cfg = CascadeSettings(**(settings or {}))
    ctx = CascadeContext(engine=engine, settings=cfg)
    if pinned is not None:
        ctx = CascadeContext(engine=engine, settings=cfg, clock=lambda: pinned)
    worker = Worker(ctx, owner=owner)
    cpu_at_start = time.process_time()  # imports and setup are not the cascade's work
    if ready is not None:
        ready.set()
    idle = cfg.poll_s
    while stop is None or not stop.is_set():
        if worker.step():
            idle = cfg.poll_s
            continue
        if exit_when_idle:
            break
        time.sleep(idle)
        idle = min(idle * 2, cfg.poll_max_s)
    if results is not None:
        results.put(
            {
                "owner": worker.owner,
                "stats": worker.stats.as_dict(),
                "lag_ms": {k: v.lag_ms for k, v in worker.stats.levels.items()},
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "cpu_s": round(time.process_time() - cpu_at_start, 3),
            }
        )
    engine.dispose()
