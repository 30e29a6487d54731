"""Calendar helpers: business hours in a rep's timezone and how people write dates and times."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from evals.sim import vocab

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@lru_cache(maxsize=16)
def zone(name: str) -> ZoneInfo:
    """Cached ZoneInfo."""
    return ZoneInfo(name)


def business_time(
    base: datetime,
    tz: str,
    rng: random.Random,
    *,
    slot: bool = True,
    hours: tuple[int, int] = (9, 17),
) -> datetime:
    """Return a UTC instant on ``base``'s local date (moved off weekends) in office hours.

    Args:
        base: Any instant on (or just before) the wanted day.
        tz: The local timezone of the person who booked it.
        rng: Random stream.
        slot: Round to a :00 or :30 meeting slot; otherwise any minute (emails, notes).
        hours: Local hour range ``[start, end)``.
    """
    local = base.astimezone(zone(tz))
    day = local.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    hour = rng.randrange(*hours)
    minute = rng.choice((0, 30, 0, 0, 30)) if slot else rng.randrange(60)
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone(tz))
    return moment.astimezone(UTC)


def ordinal(n: int) -> str:
    """1 -> '1st', 22 -> '22nd'."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def clock(local: datetime, rng: random.Random) -> str:
    """A spoken clock time: '2pm', '2:30pm', '14:30', '2:00 pm'."""
    h, m = local.hour, local.minute
    h12 = h % 12 or 12
    ampm = "am" if h < 12 else "pm"
    style = rng.randrange(4)
    if style == 0:
        return f"{h12}{ampm}" if m == 0 else f"{h12}:{m:02d}{ampm}"
    if style == 1:
        return f"{h12}:{m:02d} {ampm}"
    if style == 2:
        return f"{h:02d}:{m:02d}"
    return f"{h12}{':' + format(m, '02d') if m else ''} {ampm.upper()}"


def meeting_phrase(at: datetime, tz: str, rng: random.Random) -> str:
    """A concrete date-and-time phrase such as 'Thursday the 14th at 2pm ET'."""
    local = at.astimezone(zone(tz))
    label = vocab.TZ_LABELS.get(tz, "UTC")
    wd, d, mon = WEEKDAYS[local.weekday()], local.day, MONTHS[local.month - 1]
    t = clock(local, rng)
    forms = (
        f"{wd} the {ordinal(d)} at {t} {label}",
        f"{wd}, {mon} {d} at {t} {label}",
        f"{wd[:3]} {d} {mon[:3]}, {t} {label}",
        f"{mon} {ordinal(d)} at {t} {label}",
        f"{wd} {d} {mon} at {t} ({label})",
    )
    return forms[rng.randrange(len(forms))]


def day_phrase(at: datetime, rng: random.Random) -> str:
    """A date without a time: 'Friday the 7th' or 'March 7'."""
    wd, d, mon = WEEKDAYS[at.weekday()], at.day, MONTHS[at.month - 1]
    forms = (f"{wd} the {ordinal(d)}", f"{mon} {d}", f"{wd}, {d} {mon}")
    return forms[rng.randrange(len(forms))]


def email_stamp(at: datetime, tz: str) -> str:
    """The 'On Tue, Mar 4, 2025 at 10:12 AM' form used in quoted replies."""
    local = at.astimezone(zone(tz))
    h12 = local.hour % 12 or 12
    ampm = "AM" if local.hour < 12 else "PM"
    wd, mon = WEEKDAYS[local.weekday()][:3], MONTHS[local.month - 1][:3]
    return f"{wd}, {mon} {local.day}, {local.year} at {h12}:{local.minute:02d} {ampm}"


def iso_day(at: datetime) -> str:
    """'YYYY-MM-DD' of a UTC instant."""
    return at.astimezone(UTC).date().isoformat()
