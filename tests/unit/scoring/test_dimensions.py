"""Dimensions, drivers in words, confidence, and the template explanations."""

from __future__ import annotations

import math

import pytest

from scoring.confidence import composite_confidence, dimension_confidences
from scoring.dimensions import DIMENSIONS, describe, dimension_of_feature, dimension_score
from scoring.explain_text import template_explanation


def test_eight_named_dimensions_and_context() -> None:
    assert len(DIMENSIONS) == 8
    assert dimension_of_feature("champion_seniority") == "champion"
    assert dimension_of_feature("competitor=RouteSmart") == "competition"
    assert dimension_of_feature("crm:lead_source=inbound") == "context"


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("champion_seniority", 2.0, "the champion is manager-level"),
        ("eb_engaged", 0.0, "the economic buyer has not been engaged"),
        ("next_meeting_last", 0.0, "no agreed next step in the last conversation"),
        ("competitor=RouteSmart", 1.0, "RouteSmart is competing"),
        ("risks_count", 0.0, "no risks raised"),
        ("engaged_stakeholders", 3.0, "3 buyer stakeholders engaged"),
        ("champion_seniority", None, "champion seniority not known yet"),
        ("days_to_close_date", -4.0, "close date passed 4 days ago"),
    ],
)
def test_drivers_read_as_words(column: str, value: float | None, text: str) -> None:
    assert describe(column, value) == text


def test_dimension_score_is_fifty_at_no_effect_and_monotone() -> None:
    assert dimension_score(0.0) == 50
    assert dimension_score(1.0) == 73
    assert dimension_score(-50.0) == 0 and dimension_score(50.0) == 100
    assert dimension_score(-0.5) < dimension_score(0.2) < dimension_score(0.9)


def test_template_matches_the_issue_example() -> None:
    drivers = [
        {"text": "the champion is manager-level", "effect": -0.4},
        {"text": "the economic buyer has not been engaged", "effect": -0.3},
        {"text": "no agreed next step in the last conversation", "effect": -0.2},
    ]
    assert template_explanation("Champion", 28, 0.9, drivers) == (
        "28 because the champion is manager-level, the economic buyer has not been engaged "
        "and no agreed next step in the last conversation."
    )
    mixed = template_explanation(
        "X", 72, 0.2, [{"text": "a", "effect": 0.5}, {"text": "b", "effect": -0.1}]
    )
    assert mixed.startswith("72 because a, although b.") and "provisional" in mixed


def test_confidence_grows_with_evidence_and_fades_with_age() -> None:
    thin = {"age_days": 2.0, "activities": 1.0, "buyer_activities": 1.0, "extracted_activities": 1.0,
            "days_since_signal": 1.0, "stage_index": 0.0, "days_to_close_date": 60.0, "forecast_rank": 1.0,
            "amount_log": 10.0, "next_meeting_last": 1.0}  # fmt: skip
    rich = thin | {
        "age_days": 60.0,
        "activities": 12.0,
        "buyer_activities": 8.0,
        "extracted_activities": 12.0,
        "stage_index": 0.8,
    }
    stale = rich | {"days_since_signal": 90.0}
    none = {"age_days": 5.0, "extracted_activities": 0.0, "days_since_signal": math.nan}
    c_thin, c_rich, c_stale, c_none = (dimension_confidences(r) for r in (thin, rich, stale, none))
    for d in DIMENSIONS:
        assert 0.0 <= c_thin[d] <= c_rich[d] <= 1.0
    assert c_stale["economic_buyer"] < c_rich["economic_buyer"]
    assert c_none["champion"] == 0.0
    imp = dict.fromkeys(DIMENSIONS, 1.0)
    assert composite_confidence(c_thin, imp, 1.0) < composite_confidence(c_rich, imp, 1.0)
    assert composite_confidence(c_rich, imp, 0.2) < composite_confidence(c_rich, imp, 1.0)
