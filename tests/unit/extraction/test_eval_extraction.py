from __future__ import annotations

from collections import Counter

import pytest

from agent.extraction.inputs import read_activity
from agent.extraction.schema import RISKS, ROLES, ActivitySignals
from evals.eval_extraction import eval_labelled, eval_sim, load_labelled, run
from evals.extraction_scoring import FIELDS, score_fields, summarise
from tests.unit.extraction.fakes import fake

EMPTY = ActivitySignals().payload()


def label(**kw: object) -> dict[str, object]:
    return EMPTY | kw


def test_labelled_set_is_big_varied_and_fits_the_schema() -> None:
    rows = load_labelled()
    assert len(rows) >= 30
    kinds = Counter(read_activity(r["data"], r["file"]).activity.kind for r in rows)
    assert {"call", "email", "meeting", "note"} <= set(kinds)
    tags = Counter(t for r in rows for t in r["tags"])
    for needed in (
        "injection",
        "negation",
        "eb_absent",
        "eb_present",
        "forwarded",
        "non_native",
        "quoted_history",
        "proposed_next",
        "confirmed_next",
    ):
        assert tags[needed] >= 1, needed  # fmt: skip
    for r in rows:
        signals = ActivitySignals.model_validate(r["labels"])
        assert set(signals.risks) <= set(RISKS)
        assert all(s.role in ROLES for s in signals.stakeholders)
        assert r["note"].strip(), r["file"]
    positives = {f: sum(bool(r["labels"][f]) for r in rows) for f in r["labels"]}
    assert all(positives[f] >= 4 for f in ("champion", "economic_buyer", "competitors",
               "next_meeting_scheduled", "business_case_shared", "pricing_discussed"))  # fmt: skip


def test_scoring_definitions() -> None:
    truth = label(
        champion={"name": "Laura Chen", "title": "Director", "seniority": "director"},
        competitors=["RouteSmart", "in-house"],
    )
    exact = score_fields(
        label(
            champion={"name": "laura  chen", "title": None, "seniority": "director"},
            competitors=["in-house", "routesmart"],
        ),
        truth,
    )
    assert all(exact.values())
    partial = score_fields(label(competitors=["RouteSmart"]), truth)
    assert not partial["competitors"] and not partial["champion_name"]
    assert not partial["champion_seniority"]  # a missed champion costs its seniority too
    assert score_fields(EMPTY, EMPTY) == dict.fromkeys(FIELDS, True)


def test_summary_reports_precision_and_recall_of_names() -> None:
    champ = {"name": "Ann Lee", "title": None, "seniority": None}
    pairs = [(label(champion=champ), label(champion=champ)), (label(champion=champ), EMPTY),
             (EMPTY, label(champion=champ)), (EMPTY, EMPTY)]  # fmt: skip
    m = summarise(pairs)
    assert m["champion_name_accuracy"] == 0.5
    assert m["champion_name_recall"] == 0.5 and m["champion_name_precision"] == 0.5
    assert m["field_accuracy"] == pytest.approx((8 * 4 - 2) / 32, abs=1e-4)  # 2 names wrong


def test_eval_runs_with_a_fake_model() -> None:
    result = run(model=fake(), limit=3, sim_sample=3, sim_seed=5)
    metrics = result["metrics"]
    for key in (
        "field_accuracy",
        "champion_name_accuracy",
        "economic_buyer_name_accuracy",
        "seconds_per_activity",
        "activities_per_minute",
        "sim_field_accuracy",
        "competitors_accuracy",
        "stakeholders_f1",
        "risks_set_accuracy",
    ):
        assert key in metrics, key  # fmt: skip
    assert metrics["labelled_activities"] == 3 and metrics["sim_activities"] == 3
    assert metrics["cache_hits_without_llm"] == 3
    assert [r["field"] for r in result["table"]][-1] == "field"


def test_sim_eval_holds_out_the_sampled_truth() -> None:
    result = eval_sim(fake(), sample=4, seed=5, deals=20)
    assert result["n"] == 4
    assert set(result["known_competitors"]) <= {"RouteSmart", "Fleetly", "LoadLogic",
                                               "TransitPro", "in-house"}  # fmt: skip


def test_labelled_eval_lists_wrong_fields() -> None:
    result = eval_labelled(fake(), limit=2)
    assert len(result["cases"]) == 2
    assert all({"file", "seconds", "wrong"} <= set(c) for c in result["cases"])
