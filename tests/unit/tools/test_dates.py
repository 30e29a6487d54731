from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tools.dates import DateParseError, describe, resolve_when

# Wednesday 2026-11-25 15:00 UTC = 10:00 in New York.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "local_day"),
    [
        ("last Monday", "2026-11-23"),
        ("since last monday", "2026-11-23"),
        ("monday", "2026-11-23"),
        ("last wednesday", "2026-11-18"),
        ("wednesday", "2026-11-25"),
        ("today", "2026-11-25"),
        ("yesterday", "2026-11-24"),
        ("this week", "2026-11-23"),
        ("last week", "2026-11-16"),
        ("this month", "2026-11-01"),
        ("last month", "2026-10-01"),
        ("since the first of the month", "2026-11-01"),
        ("beginning of this month", "2026-11-01"),
        ("quarter start", "2026-10-01"),
        ("at the start of the quarter", "2026-10-01"),
        ("beginning of the quarter", "2026-10-01"),
        ("last quarter", "2026-07-01"),
        ("start of the year", "2026-01-01"),
        ("last year", "2025-01-01"),
        ("March 3", "2026-03-03"),
        ("3rd march 2025", "2025-03-03"),
        ("december", "2025-12-01"),
        ("2026-10-01", "2026-10-01"),
    ],
)
def test_day_phrases_resolve_to_local_midnight(phrase: str, local_day: str) -> None:
    instant = resolve_when(phrase, now=NOW, timezone="America/New_York")
    assert instant.tzinfo is not None
    local = instant.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.date().isoformat() == local_day
    assert (local.hour, local.minute) == (0, 0)


@pytest.mark.parametrize(
    ("phrase", "days"),
    [
        ("3 weeks ago", 21),
        ("a week ago", 7),
        ("last 30 days", 30),
        ("two days ago", 2),
        ("past week", 7),
    ],
)
def test_durations_count_back_from_now(phrase: str, days: int) -> None:
    assert (NOW - resolve_when(phrase, now=NOW)).days == days


def test_months_ago_keeps_the_day_or_clamps() -> None:
    assert resolve_when("2 months ago", now=NOW) == datetime(2026, 9, 25, 15, 0, tzinfo=UTC)
    march_31 = datetime(2026, 3, 31, tzinfo=UTC)
    assert resolve_when("1 month ago", now=march_31).date().isoformat() == "2026-02-28"


def test_now_is_now() -> None:
    assert resolve_when("now", now=NOW) == NOW


@pytest.mark.parametrize("phrase", ["", "   ", "the other day", "blorp", "2026-13-45"])
def test_unreadable_phrases_raise_a_clear_error(phrase: str) -> None:
    with pytest.raises(DateParseError) as err:
        resolve_when(phrase, now=NOW)
    assert str(err.value)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(DateParseError):
        resolve_when("today", now=datetime(2026, 1, 1))


def test_unknown_timezone_falls_back_to_utc() -> None:
    assert resolve_when("today", now=NOW, timezone="Mars/Olympus") == datetime(
        2026, 11, 25, tzinfo=UTC
    )


def test_describe_uses_the_viewers_timezone() -> None:
    assert (
        describe(datetime(2026, 11, 25, 2, 0, tzinfo=UTC), timezone="America/New_York")
        == "Tue 2026-11-24"
    )
