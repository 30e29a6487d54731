"""``keel chat`` (one turn from the terminal), ``keel serve`` (the chat UI), ``keel users`` (logins)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import or_, select
from sqlmodel import col

from memory.auth_store import DEMO_PASSWORD, seed_passwords, set_password
from memory.db import session_scope
from memory.models import User
from memory.settings import MemorySettings
from ui.cliutil import emit, fail
from ui.settings import UISettings

note = Console(stderr=True)
OrgOpt = Annotated[str | None, typer.Option("--org", help="Org id (default: KEEL_ORG or 'demo').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _find_user(engine: Any, org: str, ref: str) -> User:
    with session_scope(engine) as session:
        match = or_(col(User.id) == ref, col(User.email) == ref.lower(), col(User.source_id) == ref)
        query = select(User).where(col(User.org_id) == org).where(match)
        user: User | None = session.execute(query).scalars().first()
    if user is None:
        fail(f"no user {ref!r} in org {org!r}: pass a user id, email or CRM id (see `keel users`)")
    return user


def chat(
    message: Annotated[str, typer.Argument(help="What to ask Keel.")],
    user: Annotated[str, typer.Option("--user", help="User id, email or CRM id to ask as.")],
    thread: Annotated[
        str | None,
        typer.Option("--thread", help="Conversation id (default: the user's CLI thread)."),
    ] = None,
    org: OrgOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one chat turn as a user; print the answer and every tool call."""
    from agent.checkpointing import open_checkpointer
    from agent.graph import compile_graph
    from agent.turn import run_turn
    from ui.chat_runtime import ChatRuntime

    org_id = org or UISettings().org
    settings = MemorySettings()
    runtime = ChatRuntime.build(org_id=org_id, memory_settings=settings)
    viewer = runtime.viewer(_find_user(runtime.engine, org_id, user).id)
    thread_id = thread or f"cli-{viewer.user_id}"
    with open_checkpointer(settings) as saver:
        graph = compile_graph(saver)
        turn = run_turn(
            graph,
            message=message,
            context=runtime.context(viewer, thread_id=thread_id),
            thread_id=thread_id,
        )
    doc = turn.as_dict() | {"user_id": viewer.user_id, "model_error": runtime.model_error}

    def render(d: dict[str, Any]) -> None:
        out = Console()
        for call in d["tool_calls"]:
            out.print(
                f"[dim]tool {call['name']}({call['args']}) -> {call['status']} in {call['ms']} ms[/]"
            )
        out.print(d["answer"])
        if d["model_error"]:
            note.print(f"(no model: {d['model_error']})")

    emit(doc, as_json=as_json, render=render)


def users(
    org: OrgOpt = None,
    set_password_for: Annotated[
        str | None,
        typer.Option(
            "--set-password", help="User id or email whose password to set (read from stdin)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the org's users and their logins; optionally set one user's password."""
    from ui.chat_runtime import open_chat_store

    org_id = org or UISettings().org
    engine = open_chat_store(MemorySettings())
    if set_password_for:
        target = _find_user(engine, org_id, set_password_for)
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        with session_scope(engine) as session:
            try:
                set_password(session, user_id=target.id, password=password)
            except ValueError as exc:
                fail(str(exc))
        note.print(f"password set for {target.email}")
    with session_scope(engine) as session:
        query = (
            select(User).where(col(User.org_id) == org_id).order_by(col(User.role), col(User.name))
        )
        rows = session.execute(query).scalars().all()
        doc = {
            "org_id": org_id,
            "users": [
                {
                    "id": u.id,
                    "name": u.name,
                    "login": u.email.lower(),
                    "role": u.role,
                    "team": u.team,
                }
                for u in rows
            ],
        }

    def render(d: dict[str, Any]) -> None:
        out = Console()
        for u in d["users"]:
            out.print(f"{u['login']:<40} {u['role']:<8} {u['team'] or '':<10} {u['name']}")

    emit(doc, as_json=as_json, render=render)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default KEEL_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KEEL_PORT or 8000).")] = None,
    org: OrgOpt = None,
) -> None:
    """Start the chat UI (Chainlit, headless) on localhost; sign in with an org user's email."""
    import os

    from ui.chat_runtime import open_chat_store
    from ui.chat_setup import auth_secret, launcher, prepare_app_root

    ui = UISettings()
    settings = MemorySettings()
    org_id = org or ui.org
    home = Path(settings.home).resolve()
    engine = open_chat_store(settings)
    demo = (home / "demo" / f"{org_id}-truth.json").exists()
    with session_scope(engine) as session:
        seeded = seed_passwords(session, org_id=org_id) if demo else 0
        count = len(session.execute(select(User.id).where(User.org_id == org_id)).all())  # type: ignore[call-overload, arg-type]
    if count == 0:
        fail(f"org {org_id!r} has no users: run `keel demo` first (or import your CRM)")
    root = prepare_app_root(home)
    env = dict(os.environ) | {
        "CHAINLIT_APP_ROOT": str(root),
        "CHAINLIT_AUTH_SECRET": auth_secret(home),
        "KEEL_HOME": str(home),
        "KEEL_ORG": org_id,
    }
    bind_host, bind_port = host or ui.host, port or ui.port
    note.print(f"Keel chat on http://{bind_host}:{bind_port}  (org {org_id})")
    if demo:
        note.print(
            f"Demo logins: any user's email from `keel users`, password {DEMO_PASSWORD!r}"
            + (f" ({seeded} new)" if seeded else "")
        )
    command = [sys.executable, "-m", "chainlit", "run", str(launcher(root)), "--headless"]
    command += ["--host", bind_host, "--port", str(bind_port)]
    raise typer.Exit(subprocess.call(command, env=env))


def register(app: typer.Typer) -> None:
    """Add ``chat``, ``serve`` and ``users`` to the CLI."""
    app.command("chat")(chat)
    app.command("serve")(serve)
    app.command("users")(users)
