"""What ``keel demo`` does after seeding: train the win model, drain the cascade, mine patterns.

Each step runs in its own transaction(s) after the seed has been committed, prints one
line with its timing, and a failing step is reported (and recorded in the result) without
undoing the seed or skipping the steps after it. On an org that was not seeded by this
run (``--if-empty``), a step whose output already exists is skipped, so ``make run`` stays
fast on every start but still repairs a store seeded before these steps existed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from sqlalchemy.engine import Engine

from agent.cascade.context import scorer_version
from memory.briefing_store import create_briefing_tables, latest_patterns, save_patterns
from memory.db import session_scope
from memory.scoring_store import create_scoring_tables


@dataclass
class StepResult:
    """What one post-seed step did.

    Attributes:
        name: ``train``, ``cascade`` or ``patterns``.
        status: ``ok``, ``skipped`` or ``failed``.
        seconds: Wall time of the step.
        summary: The one line printed for it.
        detail: Step-specific numbers (JSON-ready).
    """

    name: str
    status: str
    seconds: float
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


class Skip(Exception):
    """Raised by a step whose output already exists; the message says which."""


StepFn = Callable[[], tuple[str, dict[str, Any]]]


def run_step(name: str, fn: StepFn, console: Console) -> StepResult:
    """Run one step, time it and print its line; a failure is caught and reported.

    Args:
        name: Step name (the line's prefix).
        fn: Does the work; returns ``(summary, detail)`` or raises :class:`Skip`.
        console: Where the line goes (stderr, so ``--json`` output stays one document).
    """
    started = time.perf_counter()
    try:
        summary, detail = fn()
        status = "ok"
    except Skip as skip:
        summary, detail, status = f"skipped: {skip}", {}, "skipped"
    except Exception as exc:  # one broken step must not cost the seed or the other steps
        summary, status = f"FAILED: {type(exc).__name__}: {exc}", "failed"
        detail = {"error": f"{type(exc).__name__}: {exc}"}
    seconds = round(time.perf_counter() - started, 2)
    style = {"ok": "green", "skipped": "yellow", "failed": "bold red"}[status]
    console.print(f"[{style}]{name}[/] ({seconds} s): {summary}", highlight=False, soft_wrap=True)
    return StepResult(name, status, seconds, summary, detail)


def train_step(engine: Engine, *, org_id: str, fresh: bool) -> tuple[str, dict[str, Any]]:
    """Train a candidate on the org's closed deals and register it (as ``keel train`` does).

    On a freshly seeded org every deal is already queued for the cascade, which then
    scores it with whichever model won, so the open deals are not re-scored here too.
    """
    from scoring.registry import load_prior, model_rows
    from scoring.retrain import train_and_promote

    create_scoring_tables(engine)
    with session_scope(engine) as session:
        if not fresh:
            existing = model_rows(session, org_id=org_id)
            if existing:
                raise Skip(f"org already has model {existing[0].version}")
        report = train_and_promote(session, org_id=org_id, prior=load_prior(), refresh=not fresh)
    closed = f"{report.n_won} won / {report.n_lost} lost closed deals"
    if report.promoted:
        summary = f"trained and promoted {report.candidate_version} on {closed}"
    elif report.trained:
        summary = (
            f"trained {report.candidate_version} on {closed}, not promoted; "
            f"{report.current_version} keeps scoring"
        )
    else:
        summary = f"not trained ({closed}); scoring with {report.current_version or 'no model'}"
    summary += f". {report.reason}"
    return summary, report.as_dict()


def cascade_step(engine: Engine, *, org_id: str) -> tuple[str, dict[str, Any]]:
    """Drain the cascade once: deal, account and pipeline roll-ups and deal scores.

    Deals are scored with the org's current model when one can serve it (else weighted by
    stage, as ``keel worker`` does), so a missing model cannot dead-letter deal keys; each
    score is recorded in the org's score history with its roll-up.
    """
    from agent.cascade.context import CascadeContext
    from agent.cascade.worker import Worker
    from agent.cascade_scoring import with_scoring
    from scoring.service import KeelScorer

    scorer = KeelScorer(org_id=org_id, record=False)
    ctx = with_scoring(CascadeContext(engine=engine), scorer)
    version = None
    if ctx.scorer is not None:
        with session_scope(engine) as session:
            version = scorer_version(ctx.scorer, session, org_id)
    stats = Worker(ctx).drain()
    levels = stats.as_dict()

    def done(level: str) -> int:
        return int(levels.get(level, {}).get("recomputes", 0))

    failures = sum(int(s.get("failures", 0)) for s in levels.values())
    scored = f"scored with {version}" if version else "weighted by stage (no model)"
    summary = (
        f"{stats.recomputes} recomputes: deals {done('deal')} ({scored}), "
        f"accounts {done('account')}, pipelines {done('pipeline')}"
    )
    if failures:
        summary += f"; {failures} failures (see `keel queue`)"
    return summary, {"recomputes": stats.recomputes, "failures": failures, "levels": levels}


def patterns_step(engine: Engine, *, org_id: str, fresh: bool) -> tuple[str, dict[str, Any]]:
    """Mine cross-deal patterns once and store the run (what the chat's pattern tool reads)."""
    from scoring.patterns import mine_patterns

    create_briefing_tables(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        if not fresh:
            stored = latest_patterns(session, org_id=org_id)
            if stored is not None:
                raise Skip(f"org already has pattern run {stored.version}")
        report = mine_patterns(session, org_id=org_id, as_of=now)
        doc = report.as_dict()
        save_patterns(session, report=doc, now=now)
    summary = (
        f"{len(doc['patterns'])} patterns from {doc['closed_deals']} closed deals "
        f"({doc['tests']} tests), run {doc['version']}"
    )
    return summary, {
        "version": doc["version"],
        "patterns": len(doc["patterns"]),
        "closed_deals": doc["closed_deals"],
    }


def run_post_seed(
    engine: Engine, *, org_id: str, fresh: bool, console: Console
) -> list[StepResult]:
    """Train, then drain the cascade, then mine patterns; one printed line per step.

    Training comes first so the cascade scores deals with the model that will serve them.

    Args:
        engine: The store (the seed is already committed).
        org_id: The demo org.
        fresh: The org was seeded by this run (every step runs; otherwise steps whose
            output exists are skipped).
        console: Where the step lines go.
    """
    return [
        run_step("train", lambda: train_step(engine, org_id=org_id, fresh=fresh), console),
        run_step("cascade", lambda: cascade_step(engine, org_id=org_id), console),
        run_step("patterns", lambda: patterns_step(engine, org_id=org_id, fresh=fresh), console),
    ]
