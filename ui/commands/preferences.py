"""``keel prefs ...``: see and manage learned preferences; teach Keel by correction or edit.

``--user`` is the person acting (id, email, CRM source id or name of a ``User``); their
``User.role`` decides what they may do: reps manage their own preferences, managers and
admins also org-level ones. Every command takes ``--json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, or_, select

from agent.learning.edit_diff import EditTooLargeError
from agent.learning.service import LearningService, PreferenceAccessError, PreferenceNotFoundError
from memory.db import session_scope
from memory.embeddings import Embedder, HashingEmbedder, SentenceTransformerEmbedder
from memory.models import User
from memory.preference_models import Preference
from memory.preferences import open_preference_store
from tools.access import load_viewer
from tools.context import Viewer
from ui.cliutil import emit, fail, open_store
from ui.settings import UISettings

console = Console()
prefs_app = typer.Typer(
    help="Learned preferences: list, edit, retire; teach by correction or edit."
)

UserOpt = Annotated[str, typer.Option("--user", help="Who is acting: user id, email or name.")]
OrgOpt = Annotated[str | None, typer.Option("--org", help="Org id (default: KEEL_ORG or 'demo').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
EmbedOpt = Annotated[
    Literal["minilm", "hashing"],
    typer.Option("--embedder", help="Embedding model (hashing: tests only).", hidden=True),
]


def _find_user(session: Session, org_id: str, ref: str) -> User:
    query = select(User).where(User.org_id == org_id)
    users = list(
        session.exec(query.where(or_(User.id == ref, User.email == ref, User.source_id == ref)))
    )
    if not users:
        users = [u for u in session.exec(query) if u.name.lower() == ref.lower()]
    if len(users) != 1:
        fail(f"no single user {ref!r} in org {org_id!r} (use the user id or email)")
    return users[0]


@contextmanager
def _service(user: str, org: str | None, embedder: str) -> Iterator[tuple[LearningService, Viewer]]:
    org_id = org or UISettings().org
    engine = open_store()
    with session_scope(engine) as session:
        viewer = load_viewer(session, org_id=org_id, user_id=_find_user(session, org_id, user).id)
    model: Embedder = HashingEmbedder() if embedder == "hashing" else SentenceTransformerEmbedder()
    prefix = "keel_prefs" if embedder == "minilm" else "keel_prefs_hashing"
    store = open_preference_store(model, prefix=prefix)
    try:
        yield LearningService(store), viewer
    except (PreferenceAccessError, PreferenceNotFoundError, ValueError) as exc:
        fail(str(exc))
    finally:
        store.close()


def _doc(p: Preference, *, full: bool = False) -> dict[str, Any]:
    keep = None if full else {"id", "scope", "user_id", "kind", "statement", "polarity",
                              "strength", "times_seen", "first_seen", "last_seen",
                              "valid_from", "valid_to", "retired_reason", "holders"}  # fmt: skip
    data = p.model_dump(mode="json", include=keep)
    data["active"] = p.active
    return data


def _render_list(doc: dict[str, Any]) -> None:
    table = Table(title=f"Preferences for {doc['user']} ({len(doc['preferences'])})")
    for col in ("id", "scope", "kind", "statement", "strength", "seen", "state"):
        table.add_column(col)
    for p in doc["preferences"]:
        state = "active" if p["active"] else f"retired {str(p['valid_to'])[:10]}"
        table.add_row(p["id"][:8], p["scope"], p["kind"], p["statement"], f"{p['strength']:.2f}",
                      str(p["times_seen"]), state)  # fmt: skip
    console.print(table)


def _render_one(doc: dict[str, Any]) -> None:
    for key, value in doc.items():
        if key == "preference" and isinstance(value, dict):
            for k, v in value.items():
                console.print(f"  {k:<16} {v}")
        elif key == "preferences" and isinstance(value, list):
            for p in value:
                console.print(f"  - {p['statement']} ({p['scope']}, {p['kind']})")
        else:
            console.print(f"{key}: {value}")


@prefs_app.command("list")
def list_cmd(
    user: UserOpt,
    scope: Annotated[str, typer.Option(help="all, user or org.")] = "all",
    of: Annotated[str | None, typer.Option("--of", help="Another rep (managers).")] = None,
    include_retired: Annotated[bool, typer.Option("--include-retired")] = False,
    org: OrgOpt = None,
    embedder: EmbedOpt = "minilm",
    as_json: JsonOpt = False,
) -> None:
    """List the preferences that apply to a user (their own and the org's)."""
    if scope not in ("all", "user", "org"):
        fail(f"--scope must be all, user or org, got {scope!r}")
    with _service(user, org, embedder) as (svc, viewer):
        other = None
        if of:
            with session_scope(open_store()) as session:
                other = _find_user(session, viewer.org_id, of).id
        found = svc.list(viewer, scope=scope, user_id=other, include_retired=include_retired)  # type: ignore[arg-type]
        doc = {"user": other or viewer.user_id, "preferences": [_doc(p) for p in found]}
    emit(doc, as_json=as_json, render=_render_list)


@prefs_app.command("show")
def show_cmd(
    preference_id: str, user: UserOpt, org: OrgOpt = None, embedder: EmbedOpt = "minilm",
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Show one preference with its evidence."""
    with _service(user, org, embedder) as (svc, viewer):
        doc = {"preference": _doc(svc.show(viewer, preference_id), full=True)}
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("edit")
def edit_cmd(
    preference_id: str, statement: str, user: UserOpt, org: OrgOpt = None,
    embedder: EmbedOpt = "minilm", as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Reword a preference (org preferences: managers and admins only)."""
    with _service(user, org, embedder) as (svc, viewer):
        doc = {"preference": _doc(svc.edit(viewer, preference_id, statement))}
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("retire")
def retire_cmd(
    preference_id: str, user: UserOpt,
    reason: Annotated[str, typer.Option(help="Why it no longer holds.")] = "",
    org: OrgOpt = None, embedder: EmbedOpt = "minilm", as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Retire a preference: kept with the time it stopped holding, no longer applied."""
    with _service(user, org, embedder) as (svc, viewer):
        doc = {"preference": _doc(svc.retire(viewer, preference_id, reason=reason))}
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("delete")
def delete_cmd(
    preference_id: str, user: UserOpt, org: OrgOpt = None, embedder: EmbedOpt = "minilm",
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Delete a preference for good (prefer retire; this removes its history too)."""
    with _service(user, org, embedder) as (svc, viewer):
        doc = {"deleted": svc.purge(viewer, preference_id), "id": preference_id}
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("correct")
def correct_cmd(
    text: str, user: UserOpt,
    last_applied: Annotated[list[str] | None, typer.Option(help="Ids applied to the answer.")] = None,
    org: OrgOpt = None, embedder: EmbedOpt = "minilm", as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Teach Keel by correcting it, e.g. "no, frame it around cost savings"."""
    with _service(user, org, embedder) as (svc, viewer):
        r = svc.correct(viewer, text, last_applied=last_applied or [])
        doc = {"status": r.status, "confirmation": r.confirmation,
               "preference": _doc(r.preference) if r.preference else None,
               "retired": [_doc(p) for p in r.retired],
               "promoted": _doc(r.promoted) if r.promoted else None}  # fmt: skip
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("learn-edit")
def learn_edit_cmd(
    user: UserOpt,
    draft: Annotated[Path, typer.Option(help="The draft Keel wrote.", exists=True, dir_okay=False)],
    edited: Annotated[Path, typer.Option(help="The rep's edited version.", exists=True, dir_okay=False)],
    document_id: Annotated[str | None, typer.Option(help="Draft id (default: file name).")] = None,
    org: OrgOpt = None, embedder: EmbedOpt = "minilm", as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Learn style preferences from the diff between a draft and its edited version."""
    try:
        before, after = draft.read_text(encoding="utf-8"), edited.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the draft or the edit: {exc}")
    with _service(user, org, embedder) as (svc, viewer):
        try:
            r = svc.learn_edit(viewer, before, after, document_id=document_id or draft.name)
        except EditTooLargeError as exc:
            fail(str(exc))
        doc = {"status": r.status, "message": r.message,
               "preferences": [_doc(p) for p in r.preferences],
               "applied_now": [p.id for p in r.applied_now], "fact_changes": r.fact_changes}  # fmt: skip
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("relevant")
def relevant_cmd(
    user: UserOpt,
    task: Annotated[str, typer.Option(help="What is being written.")] = "follow-up email",
    org: OrgOpt = None, embedder: EmbedOpt = "minilm", as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Show the preferences Keel would apply to a task for this user."""
    with _service(user, org, embedder) as (svc, viewer):
        doc = {"task": task, "preferences": [_doc(p) for p in svc.relevant(viewer, task)]}
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("promote")
def promote_cmd(
    user: UserOpt, org: OrgOpt = None, embedder: EmbedOpt = "minilm", as_json: JsonOpt = False
) -> None:
    """Re-check org promotion for the whole org (managers and admins)."""
    with _service(user, org, embedder) as (svc, viewer):
        r = svc.promote(viewer)
        doc = {"promoted": [_doc(p) for p in r.promoted], "updated": [_doc(p) for p in r.updated],
               "retired": [_doc(p) for p in r.retired]}  # fmt: skip
    emit(doc, as_json=as_json, render=_render_one)


@prefs_app.command("add-org")
def add_org_cmd(
    statement: str, user: UserOpt, org: OrgOpt = None, embedder: EmbedOpt = "minilm",
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """State an org-level preference directly (managers and admins)."""
    with _service(user, org, embedder) as (svc, viewer):
        doc = {"preference": _doc(svc.add_org_preference(viewer, statement))}
    emit(doc, as_json=as_json, render=_render_one)


def register(app: typer.Typer) -> None:
    """Add the ``prefs`` group to the CLI."""
    app.add_typer(prefs_app, name="prefs")
