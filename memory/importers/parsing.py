"""Parsing CRM cell values: money, dates, instants, booleans, labels.

Every parser raises ``ValueError`` with a message that says what was expected, so the
importer can turn it into a row error naming the column and the value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

_SPACES = re.compile(r"[\s\u00a0\u202f'’]")
_SYMBOLS = re.compile(r"[$€£¥₹₩₽¢₪₫฿₺₴₦]")
_UNIT = r"(?:[A-Z]{3}|kr|Kr|Fr\.?|Rs\.?|zł|Kč|Ft)"  # ISO code or a lettered symbol
_CODE = re.compile(rf"^{_UNIT}(?=[\d(-])|(?<=\d){_UNIT}$")
_NUMBER = re.compile(r"\d+(\.\d+)?")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
_TZ_HHMM = re.compile(r"([+-]\d{2})(\d{2})$")
_TRUE = {"true", "t", "yes", "y", "1", "x", "won", "✓"}
_FALSE = {"false", "f", "no", "n", "0", ""}


def norm_key(label: str) -> str:
    """Comparison key for labels: case-, space- and punctuation-insensitive.

    ``"Decision Maker Bought-In"`` and ``"decisionmakerboughtin"`` share one key.
    """
    return re.sub(r"[^0-9a-z]", "", label.casefold())


def snake_case(name: str) -> str:
    """Field name from a column header.

    A Salesforce custom field is lowercased without its ``__c`` suffix
    (``Next_Step__c`` -> ``next_step``, ``MEDDICScore__c`` -> ``meddicscore``); other
    headers become snake_case (``Deal Type`` -> ``deal_type``, ``LeadSource`` -> ``lead_source``).
    """
    base = name.strip()
    if base.lower().endswith("__c"):
        base = base[:-3]
    else:
        base = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", base)
    return re.sub(r"[^0-9a-z]+", "_", base.lower()).strip("_")


def parse_amount(text: str, *, decimal: str = ".") -> float:
    """Parse a money amount such as ``$1,234.50``, ``€ 1.234,50`` (decimal ``,``) or ``(300)``.

    Currency symbols and a leading or trailing currency code are dropped, and so are
    spaces; thousands separators must group digits by three, so ``1.234,50`` read with
    decimal ``.`` is an error rather than a silently wrong number. Parentheses or a
    leading minus make the amount negative.

    Raises:
        ValueError: not a number in the expected notation.
    """
    raw = text.strip()
    negative = raw.startswith("(") and raw.endswith(")")
    body = _CODE.sub("", _SYMBOLS.sub("", _SPACES.sub("", raw.strip("()"))))
    if body.startswith("-"):
        negative, body = True, body[1:]
    group, dec = (",", ".") if decimal == "." else (".", ",")
    if group in body:
        pattern = rf"\d{{1,3}}({re.escape(group)}\d{{3}})+({re.escape(dec)}\d+)?"
        if not re.fullmatch(pattern, body):
            body = "?"
        body = body.replace(group, "")
    body = body.replace(dec, ".")
    if not _NUMBER.fullmatch(body):
        example = "12,500.00" if decimal == "." else "12.500,00"
        raise ValueError(f"{text!r} is not an amount (expected a number like 12500 or {example})")
    value = float(body)
    return -value if negative else value


def parse_date(text: str, formats: list[str]) -> date:
    """Parse a calendar date with the given ``strptime`` formats (ISO timestamps also accepted).

    Raises:
        ValueError: no format matches.
    """
    raw = text.strip()
    for fmt in formats:
        try:
            if fmt == "%Y-%m-%d" and len(raw) == 10 and raw[4] == "-":
                return date.fromisoformat(raw)  # same result, far faster than strptime
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    if _ISO_DATETIME.match(raw):
        try:
            return parse_instant(raw, [], UTC).date()
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a date in the expected format ({', '.join(formats)})")


def parse_instant(text: str, formats: list[str], tz: tzinfo) -> datetime:
    """Parse a timestamp into a UTC-aware datetime.

    ISO 8601 is always accepted (``Z`` and ``+0000`` offsets included); then each
    ``strptime`` format is tried. Naive values are taken in ``tz``; a bare date means
    the start of that day in ``tz``.

    Raises:
        ValueError: no format matches.
    """
    raw = text.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(_TZ_HHMM.sub(r"\1:\2", raw) if "T" in raw else raw)
    except ValueError:
        for fmt in formats:
            try:
                parsed = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        shown = ", ".join(["ISO 8601", *formats])
        raise ValueError(f"{text!r} is not a date/time in the expected format ({shown})")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def start_of_day(day: date, tz: tzinfo = UTC) -> datetime:
    """Midnight at the start of ``day`` in ``tz``, as UTC."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def parse_bool(text: str) -> bool:
    """Parse a yes/no cell (``true``, ``1``, ``yes``, ``x``... / ``false``, ``0``, empty...).

    Raises:
        ValueError: not recognisably true or false.
    """
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a yes/no value (expected true/false, yes/no or 1/0)")
