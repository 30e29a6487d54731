"""``keel bench ...``: benchmarks from ``evals/`` that print numbers (never pass/fail)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ui.cliutil import emit, subgroup

console = Console()
BENCH_HELP = "Benchmarks: speed and memory numbers on this machine."

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def render_metrics(doc: dict[str, Any]) -> None:
    """Print a benchmark or evaluation result as a two-column table."""
    table = Table(title=doc.get("title", "metrics"))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in doc["metrics"].items():
        table.add_row(name, f"{value:,}" if isinstance(value, int | float) else str(value))
    console.print(table)
    if "config" in doc:
        console.print(f"config: {doc['config']}")


def bench_store(
    events: Annotated[int, typer.Option(help="Field changes to ingest.")] = 1_000_000,
    deals: Annotated[int, typer.Option(help="Deals they are spread over.")] = 10_000,
    url: Annotated[str | None, typer.Option(help="Database URL (default: temp SQLite).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest rate, whole-pipeline as-of read and single-deal timeline read."""
    from evals.bench_store import run

    doc = run(events=events, deals=deals, url=url)
    doc["title"] = "keel bench store"
    emit(doc, as_json=as_json, render=render_metrics)


def register(app: typer.Typer) -> None:
    """Add ``bench store`` to the CLI."""
    subgroup(app, "bench", BENCH_HELP).command("store")(bench_store)
