"""Reading activities from ``.txt`` notes, ``.eml`` emails and JSONL lines.

Each reader returns :class:`ActivityDraft` records (or a list of problems), still keyed
by the deal's CRM source id; :mod:`memory.importers.activities` links and writes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from memory.importers.emails import Sides, parse_email
from memory.importers.parsing import parse_instant
from memory.importers.readers import decode_bytes, ensure_text
from memory.models import ACTIVITY_KINDS

HEADER = re.compile(r"^(deal|date|kind|subject|participants|direction)\s*:\s*(.*)$", re.I)
DATETIME_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y"]


@dataclass
class Defaults:
    """What to assume when a file does not say (CLI ``--deal``, ``--date``, ``--kind``)."""

    deal: str | None = None
    occurred_at: datetime | None = None
    kind: str = "note"
    timezone: tzinfo = UTC


@dataclass
class ActivityDraft:
    """One activity as read from a file, before it is linked to a stored deal."""

    file: str
    line: int | None
    deal: str
    kind: str
    occurred_at: datetime
    subject: str | None
    body: str
    participants: list[dict[str, Any]] = field(default_factory=list)
    direction: str | None = None
    source_id: str | None = None
    source: str = "file"
    warnings: list[str] = field(default_factory=list)


def _when(text: str, tz: tzinfo) -> datetime:
    try:
        return parse_instant(text, DATETIME_FORMATS, tz)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)  # "Tue, 03 Mar 2026 10:00:00 +0100"
        except (TypeError, ValueError):
            raise ValueError(
                f"{text!r} is not a date/time (use ISO 8601, e.g. 2026-03-03T10:00:00Z)"
            ) from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)


def _fallback_time(path: Path, defaults: Defaults, warnings: list[str]) -> datetime:
    if defaults.occurred_at is not None:
        return defaults.occurred_at
    warnings.append("no date in the file and no --date given: used the file's modification time")
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _split_people(text: str) -> list[str]:
    """Split "A <a@x>, "Doe, J" <j@y>; Sam" on commas/semicolons outside quotes and <>."""
    pieces: list[str] = []
    current: list[str] = []
    quoted = angled = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "<":
            angled = True
        elif char == ">":
            angled = False
        if char in ",;" and not quoted and not angled:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


_PERSON = re.compile(
    r'^"?(?P<name>[^"<]*?)"?\s*(?:\((?P<title>[^)]*)\))?\s*(?:<(?P<email>[^>]*)>)?$'
)


def _participants(text: str, sides: Sides) -> list[dict[str, Any]]:
    """Participants from ``Jane Roe (VP Ops) <jane@buyer.com>, sam@seller.com, Lee``."""
    people = []
    for piece in _split_people(text):
        match = _PERSON.match(piece)
        name, title, email = (
            (match["name"], match["title"], match["email"]) if match else (piece, None, None)
        )
        if not email and name and "@" in name and " " not in name.strip():
            name, email = "", name
        people.append(sides.participant(name.strip() or None, (email or "").strip() or None, title))
    return people


def read_txt(
    path: Path, data: bytes, defaults: Defaults, sides: Sides
) -> ActivityDraft | list[str]:
    """Read a note/transcript with optional ``Deal:``/``Date:``/``Kind:``... header lines.

    Raises:
        ImportFailed: the file is empty or binary.
    """
    decoded = decode_bytes(data, path.name)
    lines = decoded.text.splitlines()
    headers: dict[str, tuple[int, str]] = {}
    body_start = 0
    for index, line in enumerate(lines):
        match = HEADER.match(line)
        if not match:
            body_start = index + 1 if not line.strip() and headers else index
            break
        headers[match.group(1).lower()] = (index + 1, match.group(2).strip())
        body_start = index + 1
    body = "\n".join(lines[body_start:]).strip()
    errors: list[str] = []
    warnings = [decoded.warning] if decoded.warning else []
    deal = headers.get("deal", (0, ""))[1] or defaults.deal
    if not deal:
        errors.append("no 'Deal:' header and no --deal option: cannot link the activity to a deal")
    occurred: datetime | None = None
    if "date" in headers:
        line_no, raw = headers["date"]
        try:
            occurred = _when(raw, defaults.timezone)
        except ValueError as exc:
            errors.append(f"line {line_no}: Date: {exc}")
    else:
        occurred = _fallback_time(path, defaults, warnings)
    kind = (headers.get("kind", (0, ""))[1] or defaults.kind).lower()
    if kind not in ACTIVITY_KINDS:
        errors.append(f"unknown kind {kind!r}; expected one of {list(ACTIVITY_KINDS)}")
    direction = headers.get("direction", (0, ""))[1].lower() or None
    if direction not in (None, "inbound", "outbound"):
        errors.append(f"unknown direction {direction!r}; expected inbound or outbound")
    subject = headers.get("subject", (0, ""))[1] or None
    if not body and not subject:
        errors.append("empty activity: no subject and no text")
    if errors or occurred is None or not deal:
        return errors
    return ActivityDraft(
        file=path.name,
        line=None,
        deal=deal,
        kind=kind,
        occurred_at=occurred,
        subject=subject,
        body=body,
        participants=_participants(headers.get("participants", (0, ""))[1], sides),
        direction=direction,
        source="txt",
        warnings=warnings,
    )


def read_eml(
    path: Path, data: bytes, defaults: Defaults, sides: Sides
) -> ActivityDraft | list[str]:
    """Read an email file; the deal comes from an ``X-Keel-Deal`` header or ``--deal``.

    Raises:
        ImportFailed: the file is empty or binary.
    """
    ensure_text(data, path.name)
    try:
        parsed = parse_email(data, sides)
    except ValueError as exc:
        return [str(exc)]
    errors: list[str] = []
    warnings: list[str] = []
    deal = parsed.deal or defaults.deal
    if not deal:
        errors.append("no X-Keel-Deal header and no --deal option: cannot link the email to a deal")
    occurred = parsed.sent_at or _fallback_time(path, defaults, warnings)
    if not parsed.body and not parsed.subject:
        errors.append("empty email: no subject and no text body")
    if errors or not deal:
        return errors
    return ActivityDraft(
        file=path.name,
        line=None,
        deal=deal,
        kind="email",
        occurred_at=occurred,
        subject=parsed.subject,
        body=parsed.body,
        participants=parsed.participants,
        direction=parsed.direction,
        source_id=parsed.message_id,
        source="eml",
        warnings=warnings,
    )


class JsonActivity(BaseModel):
    """One JSONL line."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    deal: str = Field(
        min_length=1, validation_alias=AliasChoices("deal", "deal_id", "deal_source_id")
    )
    kind: str
    occurred_at: str
    subject: str | None = None
    body: str = ""
    participants: list[dict[str, Any] | str] = Field(default_factory=list)
    direction: str | None = None


def read_jsonl_line(
    path: Path, line_no: int, text: str, defaults: Defaults, sides: Sides
) -> ActivityDraft | list[str]:
    """Read one JSONL activity (``deal, kind, occurred_at, subject, body, participants, id``)."""
    try:
        item = JsonActivity.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        return [f"invalid JSON at column {exc.colno}: {exc.msg}"]
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()]
    errors: list[str] = []
    kind = item.kind.lower()
    if kind not in ACTIVITY_KINDS:
        errors.append(f"unknown kind {item.kind!r}; expected one of {list(ACTIVITY_KINDS)}")
    occurred: datetime | None = None
    try:
        occurred = _when(item.occurred_at, defaults.timezone)
    except ValueError as exc:
        errors.append(f"occurred_at: {exc}")
    if item.direction not in (None, "inbound", "outbound"):
        errors.append(f"unknown direction {item.direction!r}; expected inbound or outbound")
    if not item.body.strip() and not item.subject:
        errors.append("empty activity: no subject and no body")
    people: list[dict[str, Any]] = []
    for p in item.participants:
        if isinstance(p, str):
            people += _participants(p, sides)
        else:
            side = p.get("side")
            if side not in (None, "buyer", "seller"):
                errors.append(f"participant side {side!r} must be buyer or seller")
            people.append(sides.participant(p.get("name"), p.get("email"), p.get("title"), side))
    if errors or occurred is None:
        return errors
    return ActivityDraft(
        file=path.name,
        line=line_no,
        deal=item.deal,
        kind=kind,
        occurred_at=occurred,
        subject=item.subject,
        body=item.body.strip(),
        participants=people,
        direction=item.direction,
        source_id=item.id,
        source="jsonl",
    )
