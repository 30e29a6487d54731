"""``keel worker`` and ``keel queue``: run the cascade, and see what it has left to do."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from agent.cascade.context import CascadeContext
from agent.cascade.status import queue_status
from agent.cascade.worker import run_workers
from memory.db import session_scope, utcnow
from memory.queue import requeue_dead
from ui.cliutil import emit, fail, open_store

if TYPE_CHECKING:  # langchain is imported only when --extract asks for a model
    from langchain_core.language_models import BaseChatModel

console = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def make_context(
    engine: Any, *, score: bool = True, extract_with: BaseChatModel | None = None
) -> CascadeContext:
    """The context ``keel worker`` (and the app's in-process worker) runs with.

    Args:
        engine: The store.
        score: Score deals with each org's current model and record score history
            (orgs no model can serve are weighted by stage).
        extract_with: Chat model to extract signals of new activities with (``None``:
            no extraction).
    """
    ctx = CascadeContext(engine=engine)
    if score:
        from agent.cascade_scoring import with_scoring  # scoring is heavy to import

        ctx = with_scoring(ctx)
    if extract_with is not None:
        from agent.cascade_extraction import with_extraction

        ctx = with_extraction(ctx, extract_with)
    return ctx


def extraction_model() -> BaseChatModel:
    """The chat model ``keel worker --extract`` extracts with (from ``KEEL_LLM_*`` settings)."""
    from agent.chat_models import ChatModelFactory
    from agent.llm_errors import LLMError
    from agent.model_files import ModelFileError
    from agent.settings import AgentSettings

    try:
        return ChatModelFactory(AgentSettings()).chat_model()
    except (LLMError, ModelFileError) as exc:
        fail(f"--extract: no language model: {exc}")


def _render_run(doc: dict[str, Any]) -> None:
    table = Table(title=f"keel worker: {doc['recomputes']} recomputes in {doc['elapsed_s']} s")
    for col in ("level", "recomputes", "reruns", "failures", "dead", "lag p50 ms", "lag p99 ms"):
        table.add_column(col, justify="right" if col != "level" else "left")
    for level, s in doc["levels"].items():
        table.add_row(
            level,
            *(str(s[k]) for k in ("recomputes", "reruns", "failures", "dead")),
            f"{s['lag_p50_ms']:,.0f}",
            f"{s['lag_p99_ms']:,.0f}",
        )
    console.print(table)
    console.print(f"queue depth now: {doc['queue_depth']}")


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, help="Workers in this process (run more processes to scale out).")
    ] = 1,
    once: Annotated[bool, typer.Option("--once", help="Process what is ready, then exit.")] = False,
    extract: Annotated[
        bool,
        typer.Option("--extract", help="Extract signals of new activities with the LLM."),
    ] = False,
    score: Annotated[
        bool,
        typer.Option("--score/--no-score", help="Score deals with each org's current model."),
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Run cascade workers: recompute dirty deals, accounts and pipelines until stopped."""
    engine = open_store()
    if concurrency > 1 and engine.dialect.name == "sqlite":
        console.print("[yellow]SQLite has one writer; extra workers only wait on its lock[/]")
    ctx = make_context(engine, score=score, extract_with=extraction_model() if extract else None)
    stop = asyncio.Event()

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run_workers(ctx, concurrency=concurrency, once=once, stop=stop)

    started = time.perf_counter()
    try:
        stats = asyncio.run(main())
    except ValueError as exc:
        fail(str(exc))
    with Session(engine) as session:
        depth = queue_status(session, now=utcnow())["depth"]
    doc = {
        "elapsed_s": round(time.perf_counter() - started, 3),
        "recomputes": stats.recomputes,
        "levels": stats.as_dict(),
        "queue_depth": depth,
    }
    emit(doc, as_json=as_json, render=_render_run)


def _render_queue(doc: dict[str, Any]) -> None:
    table = Table(title=f"queue: {doc['depth']} pending, {doc['in_flight']} in flight")
    cols = ("pending", "ready", "in_flight", "backoff", "expired_leases", "lag_s")
    table.add_column("level")
    for col in (*cols, "recomputes", "failures"):
        table.add_column(col, justify="right")
    for level, s in doc["levels"].items():
        totals = doc["recomputes"].get(level, {})
        table.add_row(
            level,
            *(str(s[c]) for c in cols),
            str(totals.get("recomputes", 0)),
            str(totals.get("failures", 0)),
        )
    console.print(table)
    dead = doc["dead_letters"]
    console.print(f"dead letters: {dead['count']}")
    for item in dead["items"]:
        console.print(f"  {item['key']} ({item['attempts']} attempts, {item['failed_at']})")
        console.print(f"    {item['error']}", highlight=False)


def queue(
    org: Annotated[str | None, typer.Option("--org", help="Only this org (default: all).")] = None,
    requeue: Annotated[
        bool, typer.Option("--requeue-dead", help="Put dead letters back in the queue first.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show the cascade queue: depth, lag and in-flight keys by level, dead letters, recomputes."""
    engine = open_store()
    requeued = 0
    if requeue:
        with session_scope(engine) as session:
            requeued = requeue_dead(session, org_id=org)
    with Session(engine) as session:
        doc = queue_status(session, now=utcnow(), org_id=org)
    doc["requeued"] = requeued
    emit(doc, as_json=as_json, render=_render_queue)


def register(app: typer.Typer) -> None:
    """Add ``keel worker`` and ``keel queue``."""
    app.command("worker")(worker)
    app.command("queue")(queue)
