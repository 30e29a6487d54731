"""Turn "since last Monday", "at quarter start", "3 weeks ago" into an exact instant.

Resolution is deterministic Python, never the model: the model copies the user's phrase and
this module decides what it means, relative to an injected ``now`` in the viewer's
timezone. A day reference means the start of that day (00:00 local). Quarters are calendar
quarters. "last Monday" is the most recent Monday before today; "Monday" or "this Monday"
may be today.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMBERS |= {"seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple": 2, "few": 3}
_WEEKDAY_WORDS = {w: i for i, w in enumerate(WEEKDAYS)} | {w[:3]: i for i, w in enumerate(WEEKDAYS)}
_WEEKDAY_WORDS |= {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
_FILLER = re.compile(
    r"\b(since|from|as of|at|on|of|the|in|by|back|what|did|look|like|was|were)\b", re.I
)


class DateParseError(ValueError):
    """The phrase is not a date Keel understands."""


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _month_index(word: str) -> int | None:
    word = word.lower().rstrip(".")
    for i, name in enumerate(MONTHS):
        if len(word) >= 3 and name.startswith(word):
            return i + 1
    return None


def _quarter_start(day: date, back: int = 0) -> date:
    q = (day.month - 1) // 3 - back
    year = day.year + q // 4
    return date(year, (q % 4) * 3 + 1, 1)


def _month_start(day: date, back: int = 0) -> date:
    m = day.month - 1 - back
    return date(day.year + m // 12, m % 12 + 1, 1)


def _shift_months(moment: datetime, months: int) -> datetime:
    m = moment.month - 1 - months
    year, month = moment.year + m // 12, m % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise DateParseError("cannot shift months")  # pragma: no cover - day 28 always exists


def _relative_day(text: str, today: date) -> date | None:
    if text in ("today", "this morning", "tonight"):
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    m = re.fullmatch(r"(last|this|past)?\s*([a-z]+)", text)
    if m and m.group(2) in _WEEKDAY_WORDS:
        target = _WEEKDAY_WORDS[m.group(2)]
        back = (today.weekday() - target) % 7
        if m.group(1) in ("last", "past") and back == 0:
            back = 7
        return today - timedelta(days=back)
    week = {"this week": 0, "start week": 0, "week start": 0, "last week": 1, "past week": 1}
    if text in week:
        return today - timedelta(days=today.weekday() + 7 * week[text])
    month = {"this month": 0, "start month": 0, "month start": 0, "last month": 1}
    month |= {"first month": 0, "beginning month": 0, "start this month": 0, "first this month": 0}
    month |= {"beginning this month": 0, "start last month": 1, "first last month": 1}
    if text in month:
        return _month_start(today, month[text])
    quarter = {
        "this quarter": 0,
        "quarter start": 0,
        "start quarter": 0,
        "start this quarter": 0,
        "beginning quarter": 0,
        "beginning this quarter": 0,
        "qtd": 0,
        "last quarter": 1,
        "start last quarter": 1,
        "previous quarter": 1,
        "end last quarter": 0,
    }
    if text in quarter:
        return _quarter_start(today, quarter[text])
    year = {"this year": 0, "start year": 0, "year start": 0, "ytd": 0, "beginning year": 0}
    if text in year:
        return date(today.year, 1, 1)
    if text in ("last year", "start last year"):
        return date(today.year - 1, 1, 1)
    return None


def _calendar_day(text: str, today: date) -> date | None:
    m = re.fullmatch(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", text)
    if m and _month_index(m.group(1)):
        month, day = _month_index(m.group(1)) or 1, int(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
    else:
        m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?(?:,?\s+(\d{4}))?", text)
        if m and _month_index(m.group(2)):
            month, day = _month_index(m.group(2)) or 1, int(m.group(1))
            year = int(m.group(3)) if m.group(3) else None
        else:
            m = re.fullmatch(r"(?:start\s+|beginning\s+)?([a-z]+)\.?(?:\s+(\d{4}))?", text)
            if not m or not _month_index(m.group(1)):
                return None
            month, day = _month_index(m.group(1)) or 1, 1
            year = int(m.group(2)) if m.group(2) else None
    try:
        found = date(year or today.year, month, day)
        if year is None and found > today:
            found = date(today.year - 1, month, day)
    except ValueError as exc:
        raise DateParseError(f"{text!r} is not a calendar date") from exc
    return found


def _ago(text: str, now: datetime) -> datetime | None:
    m = re.fullmatch(
        r"(?:(?:last|past)\s+)?(\d+|[a-z]+)?\s*(day|week|month|year)s?(?:\s+ago)?", text
    )
    if not m or (m.group(1) is None and "ago" not in text and not text.startswith("past")):
        return None
    raw = m.group(1) or "1"
    count = int(raw) if raw.isdigit() else _NUMBERS.get(raw)
    if count is None:
        return None
    unit = m.group(2)
    if unit == "day":
        return now - timedelta(days=count)
    if unit == "week":
        return now - timedelta(weeks=count)
    if unit == "month":
        return _shift_months(now, count)
    return _shift_months(now, 12 * count)


def resolve_when(text: str, *, now: datetime, timezone: str = "UTC") -> datetime:
    """Return the UTC instant a date phrase refers to.

    Args:
        text: "last Monday", "quarter start", "2026-03-01", "3 weeks ago", "March 3", ...
        now: The reference instant (UTC-aware).
        timezone: The viewer's IANA timezone; day boundaries are local midnights.

    Raises:
        DateParseError: The phrase is empty or not understood (the message says which).
    """
    if now.tzinfo is None:
        raise DateParseError("now must be timezone-aware")
    zone = _zone(timezone)
    local_now = now.astimezone(zone)
    today = local_now.date()
    raw = " ".join(text.strip().lower().replace(",", " ").split())
    if not raw:
        raise DateParseError("no date given")
    if raw in ("now", "right now", "currently", "current"):
        return now.astimezone(UTC)
    iso = re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[t ][\d:.]+(?:z|[+-]\d{2}:?\d{2})?)?", raw)
    if iso:
        try:
            if len(raw) == 10:
                return datetime.combine(date.fromisoformat(raw), time.min, zone).astimezone(UTC)
            parsed = datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
        except ValueError as exc:
            raise DateParseError(f"{text!r} is not a valid ISO date") from exc
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)
    cleaned = " ".join(_FILLER.sub(" ", raw).split())
    ago = _ago(cleaned, now)
    if ago is not None:
        return ago.astimezone(UTC)
    day = _relative_day(cleaned, today) or _calendar_day(cleaned, today)
    if day is None:
        raise DateParseError(
            f"I could not read {text!r} as a date; try 'last Monday', 'quarter start', "
            "'3 weeks ago' or an ISO date like 2026-03-01"
        )
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def describe(instant: datetime, *, timezone: str = "UTC") -> str:
    """Return a short human form of an instant in the viewer's timezone (``Mon 2026-03-02``)."""
    local = instant.astimezone(_zone(timezone))
    return local.strftime("%a %Y-%m-%d")
