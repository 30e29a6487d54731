"""``keel bench cascade``: throughput, coalescing, lag and memory of the async cascade."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ui.cliutil import emit, subgroup
from ui.commands.bench import BENCH_HELP

console = Console()


def _render(doc: dict[str, Any]) -> None:
    table = Table(title="keel bench cascade")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in doc["metrics"].items():
        table.add_row(name, f"{value:,}")
    console.print(table)
    console.print(f"config: {doc['config']}")
    for problem in doc.get("problems", []):
        console.print(f"[red]mismatch:[/] {problem}", highlight=False)


def bench_cascade(
    events: Annotated[int, typer.Option(help="Activities ingested while workers run.")] = 100_000,
    drain_events: Annotated[
        int | None,
        typer.Option(help="Activities ingested first, then drained (default: --events; 0 skips)."),
    ] = None,
    deals: Annotated[int, typer.Option(help="Deals the events are spread over.")] = 5_000,
    accounts: Annotated[int, typer.Option(help="Accounts the deals belong to.")] = 1_000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL server URL (a temporary database is made there); default SQLite."
        ),
    ] = None,
    burst: Annotated[int, typer.Option(help="Activities per burst (one transaction).")] = 2_000,
    burst_accounts: Annotated[int, typer.Option(help="Accounts one burst touches.")] = 20,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Compare with a from-scratch recompute.")
    ] = True,
    max_defer_s: Annotated[
        float | None,
        typer.Option(help="Parents that waited this long run before their children are done."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Bursty activity through the cascade: events/s to a fresh pipeline, recomputes, lag, RSS."""
    from evals.bench_cascade import run

    doc = run(
        events=events,
        drain_events=drain_events,
        deals=deals,
        accounts=accounts,
        workers=workers,
        url=url,
        burst=burst,
        burst_accounts=burst_accounts,
        verify=verify,
        max_defer_s=max_defer_s,
    )
    doc["title"] = "keel bench cascade"
    emit(doc, as_json=as_json, render=_render)


def register(app: typer.Typer) -> None:
    """Add ``cascade`` to the ``keel bench`` group."""
    subgroup(app, "bench", BENCH_HELP).command("cascade")(bench_cascade)
