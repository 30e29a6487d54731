from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from memory.importers.parsing import (
    norm_key,
    parse_amount,
    parse_bool,
    parse_date,
    parse_instant,
    snake_case,
)


@pytest.mark.parametrize(
    "text, decimal, expected",
    [
        ("12500", ".", 12500.0),
        ("$1,234.50", ".", 1234.5),
        ("USD 1,234", ".", 1234.0),
        ("12 500 €", ".", 12500.0),
        ("(300)", ".", -300.0),
        ("-42.5", ".", -42.5),
        ("€ 1.234,50", ",", 1234.5),
        ("1 234,56", ",", 1234.56),
        ("1'000'000", ".", 1000000.0),
    ],
)
def test_amounts(text: str, decimal: str, expected: float) -> None:
    assert parse_amount(text, decimal=decimal) == expected


@pytest.mark.parametrize("text", ["abc", "1.234,56", "12,5", "1e5", "", "1,2,3", "12abc", "usd12"])
def test_bad_or_ambiguous_amounts_are_errors_not_guesses(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)


def test_dates_with_formats_and_iso_timestamps() -> None:
    assert parse_date("31/05/2026", ["%Y-%m-%d", "%d/%m/%Y"]) == date(2026, 5, 31)
    assert parse_date("2026-05-31T00:00:00Z", ["%m/%d/%Y"]) == date(2026, 5, 31)
    with pytest.raises(ValueError, match="'2026-13-40' is not a date"):
        parse_date("2026-13-40", ["%Y-%m-%d"])


def test_instants_are_utc_aware() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert parse_instant("2026-01-05T14:03:00.000Z", [], UTC) == datetime(
        2026, 1, 5, 14, 3, tzinfo=UTC
    )
    assert parse_instant("2026-01-05T14:03:00.000+0100", [], UTC) == datetime(
        2026, 1, 5, 13, 3, tzinfo=UTC
    )
    assert parse_instant("2026-01-05 14:30", [], paris) == datetime(2026, 1, 5, 13, 30, tzinfo=UTC)
    assert parse_instant("01/05/2026 2:30 PM", ["%m/%d/%Y %I:%M %p"], UTC).hour == 14
    assert parse_instant("2026-01-05", [], UTC) == datetime(2026, 1, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_instant("yesterday", [], UTC)


@pytest.mark.parametrize("text, value", [("true", True), ("X", True), ("0", False), ("", False)])
def test_bools(text: str, value: bool) -> None:
    assert parse_bool(text) is value


def test_bad_bool() -> None:
    with pytest.raises(ValueError, match="yes/no"):
        parse_bool("maybe")


def test_label_keys_and_field_names() -> None:
    assert norm_key("Decision Maker Bought-In") == norm_key("decisionmakerboughtin")
    assert norm_key("Proposal/Price Quote") == "proposalpricequote"
    assert snake_case("Next_Step__c") == "next_step"
    assert snake_case("Deal Type") == "deal_type"
    assert snake_case("LeadSource") == "lead_source"


def test_salesforce_custom_fields_are_lowercased_without_suffix() -> None:
    assert snake_case("MEDDICScore__c") == "meddicscore"
    assert snake_case("Region__C") == "region"
