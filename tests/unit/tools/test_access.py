from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from memory.asof import deals_as_of
from memory.db import session_scope
from tests.unit.tools.world import NOW, ORG, deal_id
from tools.access import UnknownUserError, allowed_deal_ids, deal_owners, load_viewer, resolve_deal
from tools.context import ToolContext
from tools.deal_ref import find_deal
from tools.results import ToolResult


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("r1", {"D1", "D2", "D5"}),
        ("r2", {"D3"}),
        ("r3", {"D4"}),
        ("m1", {"D1", "D2", "D3", "D5"}),
        ("a1", {"D1", "D2", "D3", "D4", "D5"}),
    ],
)
def test_each_role_sees_exactly_its_deals(world: Engine, user: str, visible: set[str]) -> None:
    with session_scope(world) as session:
        viewer = load_viewer(session, org_id=ORG, user_id=user)
        assert allowed_deal_ids(session, viewer, as_of=NOW) == {deal_id(s) for s in visible}


def test_owner_fold_matches_the_as_of_read(world: Engine) -> None:
    with session_scope(world) as session:
        owners = deal_owners(session, org_id=ORG, as_of=NOW)
        states = deals_as_of(session, org_id=ORG, as_of=NOW)
    assert owners == {s.deal_id: s.owner_id for s in states}


def test_unknown_or_foreign_user_is_rejected(world: Engine) -> None:
    with session_scope(world) as session, pytest.raises(UnknownUserError):
        load_viewer(session, org_id="other-org", user_id="r1")


def test_fuzzy_reference_resolves_among_allowed_deals_only(world: Engine) -> None:
    with session_scope(world) as session:
        rep = load_viewer(session, org_id=ORG, user_id="r1")
        allowed = allowed_deal_ids(session, rep, as_of=NOW)
        assert resolve_deal(session, rep, "nortwind renewl", allowed=allowed).match is not None
        several = resolve_deal(session, rep, "northwind", allowed=allowed)
        assert several.match is None and {c.name for c in several.candidates} == {
            "Northwind renewal",
            "Northwind expansion",
        }
        assert resolve_deal(session, rep, "globex", allowed=allowed).match is None


def test_out_of_scope_deal_reads_exactly_like_a_missing_one(
    ctx_for: Callable[..., ToolContext],
) -> None:
    ctx = ctx_for("r1")
    with session_scope(ctx.engine) as session:
        foreign = find_deal(session, ctx, "Globex platform", tool="lookup_deal")
        missing = find_deal(session, ctx, "Zorblax platform", tool="lookup_deal")
    assert isinstance(foreign, ToolResult) and isinstance(missing, ToolResult)
    assert foreign.status == missing.status == "not_found"
    assert foreign.text.replace("Globex", "X") == missing.text.replace("Zorblax", "X")
    assert "Sam" not in foreign.text and foreign.deal_id is None


def test_empty_and_huge_references_are_bounded(ctx_for: Callable[..., ToolContext]) -> None:
    ctx = ctx_for("r1")
    with session_scope(ctx.engine) as session:
        empty = find_deal(session, ctx, "   ", tool="lookup_deal")
        huge = find_deal(session, ctx, "x" * 50_000, tool="lookup_deal")
    assert isinstance(empty, ToolResult) and empty.status == "missing_input"
    assert isinstance(huge, ToolResult) and huge.status == "not_found" and len(huge.text) < 600
