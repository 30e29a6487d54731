"""``keel brief`` (a rep's morning briefing on demand) and ``keel patterns`` (cross-deal patterns)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from memory.briefing_store import create_briefing_tables, save_patterns
from memory.db import session_scope
from memory.models import User
from ui.cliutil import emit, fail, open_store, parse_instant
from ui.settings import UISettings

console = Console()
note = Console(stderr=True)

OrgOpt = Annotated[str | None, typer.Option("--org", help="Org id (default: KEEL_ORG or 'demo').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _engine() -> Engine:
    engine = open_store()
    create_briefing_tables(engine)
    return engine


def patterns(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Mine as Keel knew it then (ISO date/datetime).")] = None,
    all_tests: Annotated[bool, typer.Option("--all", help="Also list tests that did not pass FDR control.")] = False,
    org: OrgOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Cross-deal patterns (win/loss, stalls, competitors, rep behaviour) with their statistics."""
    from scoring.patterns import mine_patterns

    org_id = org or UISettings().org
    instant = parse_instant(as_of, what="--as-of") if as_of else datetime.now(UTC)
    engine = _engine()
    with session_scope(engine) as session:
        report = mine_patterns(session, org_id=org_id, as_of=instant)
        save_patterns(session, report=report.as_dict(), now=datetime.now(UTC))
    doc = report.as_dict(all_tests=all_tests)

    def render(d: dict[str, Any]) -> None:
        console.print(f"[bold]{org_id}[/] patterns {d['version']}: {d['closed_deals']} closed deals, "
                      f"win rate {d['win_rate']:.0%}, {d['tests']} tests, FDR q={d['fdr_q']}")  # fmt: skip
        table = Table()
        for col in ("kind", "pattern", "rate", "rest", "RR (95% CI)", "q"):
            table.add_column(col)
        for p in d["patterns"]:
            lo, hi = p["risk_ratio_ci95"]
            table.add_row(p["kind"], p["text"], f"{p['rate_pattern']:.0%} (n={p['n_pattern']})",
                          f"{p['rate_rest']:.0%} (n={p['n_rest']})",
                          f"{p['risk_ratio']:.2f} ({lo:.2f}-{hi:.2f})", f"{p['q_value']:.1e}")  # fmt: skip
        console.print(table)
        if not d["patterns"]:
            console.print("no pattern passed false-discovery-rate control and minimum support")

    emit(doc, as_json=as_json, render=render)


def _find_user(session: Session, org_id: str, ref: str) -> User:
    match = or_(User.id == ref, User.source_id == ref, User.email == ref, User.name == ref)  # type: ignore[arg-type]
    user = session.scalars(select(User).where(User.org_id == org_id, match)).first()  # type: ignore[arg-type]
    if user is None:
        fail(f"no user {ref!r} in org {org_id!r} (use a user id, CRM id, email or full name)")
    return user


def brief(
    rep: Annotated[str, typer.Option("--rep", help="Rep or manager: user id, CRM id, email or name.")],
    date_: Annotated[str | None, typer.Option("--date", help="Local day YYYY-MM-DD (default: today).")] = None,
    deliver_: Annotated[bool, typer.Option("--deliver", help="Store it as that day's briefing (once per day); "
                                           "a running `keel serve` pushes it into the user's open chat.")] = False,
    org: OrgOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """A rep's morning briefing (a manager gets the team roll-up), composed on demand."""
    from agent.briefing import deliver, local_day
    from ui.scheduler import compose_from_store

    org_id = org or UISettings().org
    engine = _engine()
    with session_scope(engine) as session:
        user = _find_user(session, org_id, rep)
        session.expunge(user)
    day = date_ or local_day(datetime.now(UTC), user.timezone)
    if len(day) != 10:
        fail(f"--date {day!r} must be a day YYYY-MM-DD")
    parse_instant(day, what="--date")
    if not deliver_:
        with session_scope(engine) as session:
            doc = compose_from_store(session, org_id=org_id, user=user, day=day, note=note.print)
        emit(doc.as_dict(), as_json=as_json, render=lambda d: console.print(d["text"]))
        return
    row = deliver(engine, org_id=org_id, user=user, day=day, now=datetime.now(UTC),
                  claimed_by=f"cli:{socket.gethostname()}:{os.getpid()}",
                  make=lambda s: compose_from_store(s, org_id=org_id, user=user, day=day, note=note.print))  # fmt: skip
    if row is None:
        kind = "team" if user.role == "manager" else "rep"
        fail(f"{user.name}'s {kind} briefing of {day} was already delivered (once per day)")
    out = dict(row.payload) | {"briefing_id": row.id, "delivered": True}
    emit(out, as_json=as_json, render=lambda d: console.print(d["text"]))


def register(app: typer.Typer) -> None:
    """Add ``brief`` and ``patterns`` to the CLI."""
    app.command("brief")(brief)
    app.command("patterns")(patterns)
