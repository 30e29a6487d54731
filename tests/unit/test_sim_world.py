"""The simulated world: determinism, streaming, ingestion into the store, id consistency."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from evals.sim import (
    SimConfig,
    World,
    iter_world,
    simulate,
    truth_json,
    truth_signals_rows,
    write_truth,
)
from memory.asof import pipeline_as_of
from memory.db import create_schema, make_engine, session_scope
from memory.ids import make_id
from memory.ingest import ingest

SMALL = SimConfig(deals=120, reps=5, managers=2, seed=3)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SMALL)


def test_same_seed_gives_byte_identical_truth_and_rows(world: World) -> None:
    again = simulate(SMALL)
    assert truth_json(again.truth) == truth_json(world.truth)
    assert again.rows() == world.rows()


def test_different_seed_gives_a_different_world(world: World) -> None:
    other = simulate(SMALL.model_copy(update={"seed": 4}))
    assert truth_json(other.truth) != truth_json(world.truth)
    assert [a["body"] for a in other.activities[:20]] != [a["body"] for a in world.activities[:20]]


@pytest.mark.parametrize("batch", [1, 17, 50])
def test_streaming_yields_the_same_world_as_simulate(world: World, batch: int) -> None:
    rows: dict[str, list[dict[str, object]]] = {k: [] for k in world.rows()}
    activities: dict[str, object] = {}
    deals = []
    batches = list(iter_world(SMALL, batch_deals=batch))
    assert len(batches) == -(-SMALL.deals // batch)
    assert batches[0].orgs and batches[0].users
    assert all(not b.orgs and not b.users for b in batches[1:])
    for b in batches:
        for k, v in b.rows().items():
            rows[k].extend(v)
        activities.update(b.truth.activities)
        deals += b.truth.deals
    assert rows == world.rows()
    assert activities == world.truth.activities
    assert deals == world.truth.deals
    assert batches[-1].truth.effects == world.truth.effects


def test_iter_world_rejects_a_bad_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_deals"):
        next(iter_world(SMALL, batch_deals=0))


def test_ids_are_make_id_of_source_ids_and_truth_covers_every_activity(world: World) -> None:
    org = world.org_id
    assert world.orgs[0]["id"] == org
    for deal in world.deals:
        assert deal["id"] == make_id("deal", org, deal["source_id"])
    for act in world.activities:
        assert act["id"] == make_id("activity", org, act["source_id"])
    for acc in world.accounts:
        assert acc["id"] == make_id("account", org, acc["source_id"])
    assert set(world.truth.activities) == {a["source_id"] for a in world.activities}
    assert set(world.truth.activity_by_id()) == {a["id"] for a in world.activities}
    assert {d.deal_id for d in world.truth.deals} == {d["id"] for d in world.deals}
    ids = [a["source_id"] for a in world.activities]
    assert len(ids) == len(set(ids)) and ids[0] == "ACT000001"


def test_all_times_are_utc_aware_and_within_the_span(world: World) -> None:
    end = SMALL.end
    for act in world.activities:
        assert act["occurred_at"].tzinfo is not None
        assert act["occurred_at"] <= act["recorded_at"] <= end
    for ch in world.changes:
        assert ch["valid_from"].tzinfo is not None and ch["recorded_at"] <= end
    assert end == datetime(2026, 7, 1, tzinfo=UTC)


def test_rows_ingest_cleanly_and_pipeline_matches_open_deals(world: World) -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    with session_scope(engine) as session:
        report = ingest(session, **world.rows(), signals=truth_signals_rows(world))
    assert report.inserted["deals"] == len(world.deals)
    assert report.inserted["activities"] == len(world.activities)
    assert report.inserted["signals"] == len(world.activities)
    assert sum(report.duplicates.values()) == 0
    with session_scope(engine) as session:
        again = ingest(session, **world.rows())
    assert sum(again.inserted.values()) == 0
    with session_scope(engine) as session:
        pipeline = pipeline_as_of(session, org_id=world.org_id, as_of=SMALL.end)
    # The CRM may learn of a close a few days late: then the deal still looks open at the end.
    open_truth = {
        d.deal_id
        for d in world.truth.deals
        if d.outcome == "open" or (d.close_recorded_at and d.close_recorded_at > SMALL.end)
    }
    assert open_truth and {p.deal_id for p in pipeline} == open_truth
    closed = [d for d in world.truth.deals if d.outcome != "open"]
    assert all(d.close_recorded_at and d.close_recorded_at >= d.closed_at for d in closed)


def test_truth_signal_rows_follow_the_activity_signal_contract(world: World) -> None:
    rows = truth_signals_rows(world)
    act = world.activities[5]
    row = rows[5]
    assert row["activity_id"] == act["id"] and row["content_hash"] == act["content_hash"]
    assert row["extractor"] == "truth"
    assert row["valid_from"] == act["occurred_at"] and row["recorded_at"] == act["recorded_at"]
    assert set(row["payload"]) == {
        "champion", "economic_buyer", "economic_buyer_engaged", "competitors",
        "next_meeting_scheduled", "business_case_shared", "pricing_discussed",
        "stakeholders", "risks",
    }  # fmt: skip


def test_write_truth_round_trips_as_json(world: World, tmp_path: Path) -> None:
    path = write_truth(world.truth, tmp_path / "sub" / "truth.json")
    text = path.read_text(encoding="utf-8")
    assert text.strip() == truth_json(world.truth)
    from evals.sim import SimTruth

    assert SimTruth.model_validate_json(text) == world.truth


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimConfig(start=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="activities_per_deal"):
        SimConfig(activities_per_deal=(9, 5))
