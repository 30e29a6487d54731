"""``keel rewind`` and ``keel timeline``: the time-series memory from the terminal."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from memory.asof import deal_as_of, pipeline_as_of
from memory.db import session_scope
from memory.lookup import find_deals
from memory.timeline import deal_timeline, deal_velocity
from ui.cliutil import emit, fail, open_store, parse_instant
from ui.settings import UISettings

console = Console()

OrgOpt = Annotated[str | None, typer.Option("--org", help="Org id (default: KEEL_ORG or 'demo').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def resolve_deal(session: Session, org_id: str, query: str) -> str:
    """Return the id of the one deal ``query`` names, or exit with a clear message."""
    matches = find_deals(session, org_id=org_id, query=query)
    if not matches:
        fail(f"no deal in org {org_id!r} matches {query!r}")
    top = matches[0]
    if top.score < 1.0 and len(matches) > 1 and matches[1].score >= top.score - 0.05:
        names = "; ".join(f"{m.source_id} {m.name!r}" for m in matches)
        fail(f"{query!r} matches several deals: {names}. Use the deal id.")
    return top.deal_id


def _pipeline_doc(states: list[Any], as_of: datetime, known_at: datetime | None) -> dict[str, Any]:
    by_stage: dict[str, dict[str, float]] = defaultdict(lambda: {"count": 0, "amount": 0.0})
    for s in states:
        bucket = by_stage[s.stage or "unknown"]
        bucket["count"] += 1
        bucket["amount"] += s.amount or 0.0
    return {
        "as_of": as_of,
        "known_at": known_at,
        "open_deals": len(states),
        "open_amount": round(sum(s.amount or 0.0 for s in states), 2),
        "by_stage": dict(by_stage),
        "deals": [
            {
                "deal_id": s.deal_id,
                "source_id": s.source_id,
                "name": s.name,
                "stage": s.stage,
                "amount": s.amount,
                "close_date": s.close_date,
                "owner_id": s.owner_id,
                "forecast_category": s.forecast_category,
            }
            for s in states
        ],
    }


def _render_pipeline(doc: dict[str, Any]) -> None:
    table = Table(title=f"Open pipeline as of {doc['as_of']:%Y-%m-%d %H:%M} UTC")
    for col in ("deal", "name", "stage", "amount", "close", "owner"):
        table.add_column(col)
    for d in sorted(doc["deals"], key=lambda d: -(d["amount"] or 0))[:50]:
        table.add_row(
            d["source_id"],
            d["name"],
            d["stage"] or "",
            f"{d['amount'] or 0:,.0f}",
            str(d["close_date"] or ""),
            d["owner_id"] or "",
        )
    console.print(table)
    console.print(f"{doc['open_deals']} open deals, {doc['open_amount']:,.0f} total")
    for stage, b in doc["by_stage"].items():
        console.print(f"  {stage:<14} {int(b['count']):>5}  {b['amount']:>14,.0f}")


def _render_deal(doc: dict[str, Any]) -> None:
    console.print(
        f"[bold]{doc['deal']['name']}[/] ({doc['deal']['source_id']}) as of {doc['as_of']}"
    )
    for k, v in sorted(doc["deal"]["fields"].items()):
        console.print(f"  {k:<20} {v}")
    if doc["velocity"]:
        console.print("[bold]velocity[/]")
        for k, v in doc["velocity"].items():
            console.print(f"  {k:<32} {v}")


def rewind(
    as_of: Annotated[
        str, typer.Option("--as-of", help="Instant to rewind to (ISO date = end of day UTC).")
    ],
    deal: Annotated[str | None, typer.Option("--deal", help="Deal id, CRM id or name.")] = None,
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="Only what Keel had recorded by then.")
    ] = None,
    org: OrgOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the pipeline (or one deal) as it stood at a past instant."""
    org_id = org or UISettings().org
    when = parse_instant(as_of, what="--as-of")
    known = parse_instant(known_at, what="--known-at") if known_at else None
    engine = open_store()
    with session_scope(engine) as session:
        if deal is None:
            states = pipeline_as_of(session, org_id=org_id, as_of=when, known_at=known)
            emit(_pipeline_doc(states, when, known), as_json=as_json, render=_render_pipeline)
            return
        deal_id = resolve_deal(session, org_id, deal)
        state = deal_as_of(session, org_id=org_id, deal_id=deal_id, as_of=when, known_at=known)
        if state is None:
            fail(f"deal {deal!r} did not exist (or was not yet known) at {when.isoformat()}", 1)
        velocity = deal_velocity(
            session, org_id=org_id, deal_id=deal_id, as_of=when, known_at=known
        )
        doc = {
            "as_of": when,
            "known_at": known,
            "deal": state.as_dict(),
            "velocity": velocity.as_dict() if velocity else None,
        }
        emit(doc, as_json=as_json, render=_render_deal)


def timeline(
    deal: Annotated[str, typer.Option("--deal", help="Deal id, CRM id or name.")],
    since: Annotated[
        str | None, typer.Option("--since", help="Only events from this instant.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only events up to this instant.")
    ] = None,
    known_at: Annotated[
        str | None, typer.Option("--known-at", help="Only what Keel had recorded by then.")
    ] = None,
    org: OrgOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List what changed on a deal and when (field changes and activities)."""
    org_id = org or UISettings().org
    engine = open_store()
    with session_scope(engine) as session:
        deal_id = resolve_deal(session, org_id, deal)
        entries = deal_timeline(
            session,
            org_id=org_id,
            deal_id=deal_id,
            since=parse_instant(since, what="--since") if since else None,
            until=parse_instant(until, what="--until") if until else None,
            known_at=parse_instant(known_at, what="--known-at") if known_at else None,
        )
    doc = {"deal_id": deal_id, "generated_at": datetime.now(UTC), "events": entries}

    def render(d: dict[str, Any]) -> None:
        table = Table(title=f"Timeline of {deal}")
        for col in ("when", "what", "detail"):
            table.add_column(col)
        for e in d["events"]:
            if e.kind == "field":
                what = f"{e.field}{' (correction)' if e.correction else ''}"
                detail = f"{e.old} -> {e.new}"
            else:
                what, detail = e.activity_kind or e.kind, e.summary or ""
            table.add_row(f"{e.at:%Y-%m-%d %H:%M}", what, detail)
        console.print(table)

    emit(doc, as_json=as_json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``rewind`` and ``timeline`` to the CLI."""
    app.command("rewind")(rewind)
    app.command("timeline")(timeline)
