"""``keel demo``: seed a simulated sales org into the store and show its pipeline."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import func, select

from memory.asof import pipeline_as_of
from memory.checkpoints import ensure_checkpoints
from memory.db import session_scope
from memory.ingest import IngestReport, ingest
from memory.models import Deal
from memory.settings import MemorySettings
from ui.cliutil import emit, open_store
from ui.commands.demo_steps import run_post_seed

console = Console(stderr=True)


def _world_start(months: int) -> datetime:
    """Start the simulated history ``months`` calendar months before today so it ends now."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    year, month = divmod(today.month - 1 - months, 12)
    return today.replace(year=today.year + year, month=month + 1, day=min(today.day, 28))


def demo(
    reps: Annotated[int, typer.Option(help="Sales reps in the simulated org.")] = 10,
    deals: Annotated[int, typer.Option(help="Deals over the simulated history.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same org.")] = 7,
    months: Annotated[int, typer.Option(help="Months of history, ending today.")] = 18,
    org: Annotated[str, typer.Option("--org", help="Org id to seed.")] = "demo",
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if the org already has deals.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Seed a simulated sales org (deals, calls, emails, ground truth) and show its pipeline.

    After seeding it trains the win model, drains the cascade (roll-ups and scores) and
    mines patterns, so scoring and the chat work at once; each step prints a timed line.
    """
    from evals.sim import SimConfig, simulate, truth_signals_rows, write_truth

    settings = MemorySettings()
    engine = open_store(settings)
    with session_scope(engine) as session:
        existing = session.scalar(
            select(func.count()).select_from(Deal).where(Deal.org_id == org)  # type: ignore[arg-type]
        )
    if existing and if_empty:
        console.print(f"org {org!r} already has {existing} deals; not seeding again")
        doc: dict[str, Any] = {"org_id": org, "seeded": False, "deals": existing}
    else:
        started = time.perf_counter()
        config = SimConfig(
            reps=reps, deals=deals, seed=seed, months=months, org_id=org, start=_world_start(months)
        )
        console.print(
            f"simulating {deals} deals for {reps} reps over {months} months (seed {seed})"
        )
        world = simulate(config)
        report = IngestReport()
        with session_scope(engine) as session:
            report.merge(
                ingest(
                    session,
                    orgs=world.orgs,
                    users=world.users,
                    accounts=world.accounts,
                    people=world.people,
                    deals=world.deals,
                    changes=world.changes,
                    activities=world.activities,
                )
            )
            # Extracting 18 months of history with the embedded model would take hours,
            # so the demo carries the simulator's true signals, labelled as such
            # (extractor "truth"); new activities go through the real extractor.
            report.merge(ingest(session, signals=truth_signals_rows(world)))
            ensure_checkpoints(session, org_id=org)
        truth_path = Path(settings.home) / "demo" / f"{org}-truth.json"
        truth_path.parent.mkdir(parents=True, exist_ok=True)
        write_truth(world.truth, truth_path)
        doc = {
            "org_id": org,
            "seeded": True,
            "seconds": round(time.perf_counter() - started, 2),
            "ingest": report.as_dict(),
            "truth_path": str(truth_path),
        }
    steps = run_post_seed(engine, org_id=org, fresh=bool(doc["seeded"]), console=console)
    doc["steps"] = [s.as_dict() for s in steps]
    with session_scope(engine) as session:
        open_deals = pipeline_as_of(session, org_id=org, as_of=datetime.now(UTC))
    doc["open_deals"] = len(open_deals)
    doc["open_amount"] = round(sum(d.amount or 0.0 for d in open_deals), 2)

    def render(d: dict[str, Any]) -> None:
        out = Console()
        if d["seeded"]:
            out.print(
                f"Seeded org [bold]{d['org_id']}[/] in {d['seconds']} s: {d['ingest']['inserted']}"
            )
            out.print(f"Ground truth: {d['truth_path']}")
        out.print(f"Open pipeline now: {d['open_deals']} deals, {d['open_amount']:,.0f}")
        failed = [s["name"] for s in d["steps"] if s["status"] == "failed"]
        if failed:
            out.print(
                f"[bold red]Failed after seeding:[/] {', '.join(failed)} (the seeded data is kept)"
            )
        out.print("Try: keel score   |   keel patterns   |   keel rewind --as-of today")

    emit(doc, as_json=as_json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the CLI."""
    app.command("demo")(demo)
