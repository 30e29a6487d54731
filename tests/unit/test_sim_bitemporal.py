"""Bitemporal realism of the simulated CRM: late records, corrections, late-logged notes."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest

from evals.sim import SimConfig, World, simulate
from memory.asof import deal_as_of
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(deals=300, seed=5))


def test_a_share_of_field_changes_is_recorded_days_late(world: World) -> None:
    created = {d["id"]: d["created_at"] for d in world.deals}
    later = [c for c in world.changes if c["valid_from"] > created[c["deal_id"]]]
    late = [c for c in later if c["recorded_at"] - c["valid_from"] >= timedelta(days=1)]
    share = len(late) / len(later)
    assert 0.05 < share < 0.2
    assert all(c["recorded_at"] - c["valid_from"] <= timedelta(days=16) for c in late)


def test_corrections_share_field_and_valid_time_with_a_later_different_value(world: World) -> None:
    groups: dict[tuple[str, str, Any], list[dict[str, Any]]] = defaultdict(list)
    for c in world.changes:
        groups[(c["deal_id"], c["field"], c["valid_from"])].append(c)
    corrections = [g for g in groups.values() if len(g) > 1]
    assert len(corrections) >= 5
    for group in corrections:
        first, fix = sorted(group, key=lambda c: c["recorded_at"])
        assert fix["recorded_at"] > first["recorded_at"] and fix["value"] != first["value"]
        assert first["field"] in ("amount", "close_date")


def test_the_store_shows_the_wrong_value_until_the_correction_is_recorded(world: World) -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    with session_scope(engine) as session:
        ingest(session, **world.rows())
    groups: dict[tuple[str, str, Any], list[dict[str, Any]]] = defaultdict(list)
    for c in world.changes:
        groups[(c["deal_id"], c["field"], c["valid_from"])].append(c)
    deal_id, field, valid = next(k for k, g in groups.items() if len(g) > 1 and k[1] == "amount")
    first, fix = sorted(groups[(deal_id, field, valid)], key=lambda c: c["recorded_at"])
    with session_scope(engine) as session:
        before = deal_as_of(
            session,
            org_id=world.org_id,
            deal_id=deal_id,
            as_of=valid,
            known_at=first["recorded_at"],
        )
        after = deal_as_of(
            session, org_id=world.org_id, deal_id=deal_id, as_of=valid, known_at=fix["recorded_at"]
        )
    assert before is not None and after is not None
    assert before.amount == pytest.approx(first["value"])
    assert after.amount == pytest.approx(fix["value"])


def test_some_call_notes_are_logged_the_next_day(world: World) -> None:
    calls = [a for a in world.activities if a["kind"] in ("call", "meeting")]
    next_day = [a for a in calls if a["recorded_at"] - a["occurred_at"] >= timedelta(hours=20)]
    assert 0.05 < len(next_day) / len(calls) < 0.3


def test_deals_move_through_stages_with_pushes_and_closes(world: World) -> None:
    stages: dict[str, list[str]] = defaultdict(list)
    pushes = 0
    for c in sorted(world.changes, key=lambda c: (c["valid_from"], c["recorded_at"])):
        if c["field"] == "stage":
            stages[c["deal_id"]].append(c["value"])
        pushes += c["field"] == "close_date"
    finals = {s[-1] for s in stages.values()}
    assert {"closed_won", "closed_lost"} <= finals
    order = ["prospecting", "qualification", "discovery", "solution", "proposal", "negotiation"]
    regressions = sum(
        1
        for s in stages.values()
        for a, b in zip(s, s[1:], strict=False)
        if a in order and b in order and order.index(b) < order.index(a)
    )
    assert regressions >= 1
    assert pushes > len(world.deals)
    fields = {c["field"] for c in world.changes}
    assert {
        "stage",
        "amount",
        "close_date",
        "owner_id",
        "forecast_category",
        "currency",
        "lead_source",
        "product_line",
    } <= fields
