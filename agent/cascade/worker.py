"""The cascade worker: claim a bounded batch, recompute it, finish it, repeat.

One batch is the oldest ready keys of the lowest level that has any (children before
parents). For each org in the batch the handler's ``prepare`` reads and computes outside
any write lock; then one write transaction applies the handler's writes, marks the
parents and finishes the keys. A crash before that commit leaves the keys leased, and
they are retried when the lease expires (a heartbeat renews the lease of a live worker);
a worker that lost its lease rolls back and redoes only the keys it still holds. A
failing group is split in halves until the failing key is alone; that key is retried
with back-off and dead-lettered after ``max_attempts``. :func:`run_workers` runs one or
more workers as asyncio tasks (the embedded default: one, in the app's process).

Activity keys whose handler only marks their deal (the built-in one, no extractor) skip
the lease: one transaction takes them (:func:`~agent.cascade.leases.take`), marks the
deals and records the stats, so a crash simply leaves them ready.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from agent.cascade.context import CascadeContext, FunctionHandler, LevelHandler
from agent.cascade.handlers import apply_activities, prepare_activities
from agent.cascade.leases import (
    CLAIM_ORDER,
    Claim,
    any_ready,
    claim,
    steer_claim_plans,
    take,
)
from agent.cascade.registry import HandlerRegistry, default_registry
from agent.cascade.settle import LeaseLost, complete, fail, owned, renew
from agent.cascade.stats import WorkerStats, record_stats
from agent.cascade.txn import commit_async, retrying, write_session
from memory.db import utcnow
from memory.queue import mark_dirty

log = logging.getLogger(__name__)

_BUILT_IN_ACTIVITY = FunctionHandler(apply_activities, prepare_activities)
"""The activity handler :func:`take` may stand in for when no extractor is plugged in."""


def worker_id() -> str:
    """A unique lease owner name: host, process id and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Claims and processes batches of dirty keys (one thread of work)."""

    def __init__(
        self,
        ctx: CascadeContext,
        registry: HandlerRegistry | None = None,
        *,
        owner: str | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        """Create a worker.

        Args:
            ctx: Engine, clock, settings and collaborators handed to every handler.
            registry: Handler per level (default: :func:`default_registry`).
            owner: Lease owner name (default: host, pid and a random suffix).
            now: Wall clock for leases, back-off and lag (``ctx.clock`` is the business
                clock handlers compute "as of"; tests may pin that one).
        """
        self.ctx = ctx
        self.registry = registry or default_registry()
        self.owner = owner or worker_id()
        self.now = now
        self.stats = WorkerStats()
        self._next_parent_check = 0.0
        self._take_off_until = 0.0
        self._taken_lag: list[float] = []

    def _takes_activities(self) -> bool:
        """True if activity keys can be taken and finished in the claim's transaction.

        Only when the activity handler is the built-in one and has nothing to extract:
        its whole work is then marking deals, which needs no lease.
        """
        return (
            self.ctx.extractor is None
            and self.registry.handlers.get("activity") == _BUILT_IN_ACTIVITY
            and time.monotonic() >= self._take_off_until
        )

    def _claim(self) -> tuple[list[Claim], bool]:
        """Claim children before parents, except parents ready for ``parent_wait_s``.

        Children first maximises coalescing on a backlog; the exception keeps a steady
        stream of new activity from starving accounts and pipelines whose own children
        are done (checked at most once a second: gated candidates cost a scan). Returns
        the claims and whether they are already finished (taken, see :meth:`_take`).
        """
        s = self.ctx.settings
        now = self.now()
        passes: list[tuple[tuple[str, ...], datetime | None]] = [(CLAIM_ORDER, None)]
        if s.parent_wait_s is not None and time.monotonic() >= self._next_parent_check:
            self._next_parent_check = time.monotonic() + 1.0
            waited = now - timedelta(seconds=s.parent_wait_s)
            passes.insert(0, (tuple(reversed(CLAIM_ORDER[1:])), waited))
        with Session(self.ctx.engine) as session:
            if not any_ready(session, now=now):
                return [], False  # idle: one short read, no write lock, no claim per level
        taking = self._takes_activities()
        with write_session(self.ctx.engine) as session:
            steer_claim_plans(session, async_commit=s.async_commit)
            for levels, marked_before in passes:
                for level in levels:
                    if level == "activity" and taking:
                        taken = self._take(session, now)
                        if taken:
                            return taken, True
                        continue
                    found = claim(
                        session,
                        owner=self.owner,
                        level=level,
                        limit=s.batch_for(level, extracting=self.ctx.extractor is not None),
                        lease_s=s.lease_s,
                        now=now,
                        max_defer_s=s.max_defer_s,
                        marked_before=marked_before,
                    )
                    if found:
                        return found, False
        return [], False

    def _take(self, session: Session, now: datetime) -> list[Claim]:
        """Take a batch of activity keys and do their work in ``session``'s transaction.

        The same writes as the leased path (deal marks, stats), minus the lease: the
        claim, the marks and the completion commit or vanish together.
        """
        handler = self.registry.get("activity")
        limit = self.ctx.settings.batch_for("activity", extracting=False)
        claims = take(session, level="activity", limit=limit, now=now)
        if not claims:
            return []
        groups: dict[str, list[Claim]] = {}
        for c in claims:
            groups.setdefault(c.org_id, []).append(c)
        done_at = self.now()
        for org_id, group in groups.items():
            result = handler.apply(self.ctx, session, org_id, group, [])
            if result.parents:
                mark_dirty(session, org_id, result.parents, now=done_at, scopes=result.parents)
        lag = [(done_at - c.first_marked_at).total_seconds() * 1000 for c in claims]
        record_stats(
            session,
            owner=self.owner,
            level="activity",
            recomputes=len(claims),
            lag_ms=lag,
            now=done_at,
        )
        self._taken_lag = lag
        return claims

    def step(self) -> int:
        """Claim one batch and process it; return how many keys were claimed (0 = idle)."""
        try:
            claims, finished = retrying(self._claim)
        except Exception as exc:
            if not self._takes_activities():
                raise
            # Let the leased path retry, back off and dead-letter whatever failed.
            log.warning("taking activity keys failed, leasing them for a while: %s", exc)
            self._take_off_until = time.monotonic() + self.ctx.settings.lease_s
            claims, finished = retrying(self._claim)
        if not claims:
            return 0
        level = claims[0].level
        if finished:
            stats = self.stats.level(level)
            stats.batches += 1
            stats.recomputes += len(claims)
            stats.add_lag(self._taken_lag, self.stats.rng)
            return len(claims)
        self.stats.level(level).batches += 1
        groups: dict[str, list[Claim]] = {}
        for c in claims:
            groups.setdefault(c.org_id, []).append(c)
        beat = self._heartbeat([c.key for c in claims])
        try:
            for org_id, group in groups.items():
                self._process(level, org_id, group)
        finally:
            if beat is not None:
                beat.set()
        return len(claims)

    def _heartbeat(self, keys: Sequence[str]) -> threading.Event | None:
        """Renew the batch's leases every third of a lease until the returned event is set.

        Slow handlers (an LLM extracting a batch) then keep their keys; a dead worker
        stops renewing and its keys expire. Skipped on a private in-memory SQLite store,
        whose single connection cannot be shared with a second thread.
        """
        url = self.ctx.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            return None
        done = threading.Event()
        lease_s = self.ctx.settings.lease_s

        def beat() -> None:
            while not done.wait(lease_s / 3):
                try:
                    with write_session(self.ctx.engine) as session:
                        renew(session, owner=self.owner, keys=keys, lease_s=lease_s, now=self.now())
                except Exception as exc:  # the next beat or the lease expiry handles it
                    log.warning("could not renew leases: %s", exc)

        threading.Thread(target=beat, daemon=True, name=f"lease-{self.owner}").start()
        return done

    def _process(self, level: str, org_id: str, claims: list[Claim]) -> None:
        handler = self.registry.get(level)
        try:
            prepared = retrying(lambda: self._prepare(handler, org_id, claims))
            retrying(lambda: self._apply(level, handler, org_id, claims, prepared))
        except Exception as exc:
            if len(claims) > 1:
                half = len(claims) // 2
                self._process(level, org_id, claims[:half])
                self._process(level, org_id, claims[half:])
                return
            error = exc
            retrying(lambda: self._fail(claims[0], error))

    def _prepare(self, handler: LevelHandler, org_id: str, claims: list[Claim]) -> object:
        with Session(self.ctx.engine, expire_on_commit=False) as session:
            return handler.prepare(self.ctx, session, org_id, claims)

    def _apply(
        self,
        level: str,
        handler: LevelHandler,
        org_id: str,
        claims: list[Claim],
        prepared: object,
    ) -> None:
        try:
            self._apply_held(level, handler, org_id, claims, prepared)
        except LeaseLost:
            with Session(self.ctx.engine) as session:
                held = owned(session, owner=self.owner, claims=claims)
            self.stats.level(level).lost_leases += len(claims) - len(held)
            if held:
                self._apply_held(level, handler, org_id, held, prepared)

    def _apply_held(
        self,
        level: str,
        handler: LevelHandler,
        org_id: str,
        claims: list[Claim],
        prepared: object,
    ) -> None:
        with write_session(self.ctx.engine) as session:
            if self.ctx.settings.async_commit:
                commit_async(session)
            result = handler.apply(self.ctx, session, org_id, claims, prepared)
            now = self.now()
            if result.parents:
                mark_dirty(session, org_id, result.parents, now=now, scopes=result.parents)
            done, rerun = complete(session, owner=self.owner, claims=claims)
            lag = [(now - c.first_marked_at).total_seconds() * 1000 for c in claims]
            record_stats(
                session,
                owner=self.owner,
                level=level,
                recomputes=len(claims),
                reruns=rerun,
                lag_ms=lag,
                now=now,
            )
        stats = self.stats.level(level)
        stats.recomputes += len(claims)
        stats.reruns += rerun
        stats.add_lag(lag, self.stats.rng)

    def _fail(self, claim_: Claim, exc: BaseException) -> None:
        s = self.ctx.settings
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        log.warning("cascade key %s failed (attempt %d): %s", claim_.key, claim_.attempts, error)
        with write_session(self.ctx.engine) as session:
            dead = fail(
                session,
                owner=self.owner,
                claim_=claim_,
                error=error,
                max_attempts=s.max_attempts,
                backoff_s=s.backoff_s,
                backoff_max_s=s.backoff_max_s,
                now=self.now(),
            )
            record_stats(
                session,
                owner=self.owner,
                level=claim_.level,
                failures=1,
                dead=int(dead),
                now=self.now(),
            )
        stats = self.stats.level(claim_.level)
        stats.failures += 1
        stats.dead += int(dead)

    def drain(self, *, max_steps: int | None = None) -> WorkerStats:
        """Process batches until none is ready (or ``max_steps`` batches); return the stats."""
        steps = 0
        while (max_steps is None or steps < max_steps) and self.step():
            steps += 1
        return self.stats


async def run_workers(
    ctx: CascadeContext,
    registry: HandlerRegistry | None = None,
    *,
    concurrency: int = 1,
    once: bool = False,
    stop: asyncio.Event | None = None,
    on_batch: Callable[[Worker, int], None] | None = None,
) -> WorkerStats:
    """Run ``concurrency`` workers as asyncio tasks until ``stop`` is set.

    Database work runs in threads so the event loop (the chat app's, by default) stays
    responsive. With ``once`` the workers stop as soon as no key is ready and none of them
    is busy. Returns the merged stats.

    Raises:
        ValueError: ``concurrency`` < 1, or > 1 on a private in-memory SQLite database
            (one shared connection cannot serve several threads).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    url = ctx.engine.url
    if (
        concurrency > 1
        and url.get_backend_name() == "sqlite"
        and url.database in (None, "", ":memory:")
    ):
        raise ValueError("an in-memory SQLite store supports one worker only (concurrency=1)")
    stop = stop or asyncio.Event()
    workers = [Worker(ctx, registry) for _ in range(concurrency)]
    busy = 0
    settings = ctx.settings

    async def loop(worker: Worker) -> None:
        nonlocal busy
        idle = settings.poll_s
        while not stop.is_set():
            busy += 1
            try:
                claimed = await asyncio.to_thread(worker.step)
            finally:
                busy -= 1
            if claimed:
                if on_batch is not None:
                    on_batch(worker, claimed)
                idle = settings.poll_s
                continue
            if once and busy == 0:
                return
            try:
                await asyncio.wait_for(stop.wait(), timeout=idle)
            except TimeoutError:
                pass
            idle = min(idle * 2, settings.poll_max_s)

    await asyncio.gather(*(loop(w) for w in workers))
    total = WorkerStats()
    for w in workers:
        total.merge(w.stats)
    return total
