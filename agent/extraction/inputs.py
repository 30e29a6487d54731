"""Reading one activity from a ``.txt`` or ``.eml`` file (or stdin) for extraction.

``.txt`` files may start with the importer's header lines (``Kind:``, ``Date:``,
``Subject:``, ``Participants:``, ``Direction:``); ``.eml`` files are parsed as email.
Empty and binary input is refused with a clear error; text that is not UTF-8 is decoded
with a fallback encoding and a warning, so nothing readable is lost.
"""

from __future__ import annotations

import email
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy

from agent.extraction.chunking import ExtractionInputError
from agent.extraction.document import ActivityInput
from memory.importers.emails import Sides, html_to_text, parse_email
from memory.importers.readers import decode_bytes, ensure_text
from memory.importers.report import ImportFailed
from memory.models import ACTIVITY_KINDS

_HEADER = re.compile(r"^(kind|date|subject|participants|direction|deal)\s*:\s*(.*)$", re.I)
_EMAIL_START = re.compile(
    rb"^\s*(?:(?:From|To|Subject|Date|Message-ID|Received|Return-Path)\s*:)", re.I
)
_PERSON = re.compile(
    r'^"?(?P<name>[^"<(]*?)"?\s*(?:\((?P<title>[^)]*)\))?\s*(?:<(?P<email>[^>]*)>)?$'
)


@dataclass
class ReadActivity:
    """An activity read from a file, with warnings about how it was read."""

    activity: ActivityInput
    warnings: list[str] = field(default_factory=list)


def _split_people(text: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "(<":
            depth += 1
        elif char in ")>":
            depth -= 1
        if char in ",;" and depth <= 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


def _participants(text: str, sides: Sides) -> list[dict[str, object]]:
    people = []
    for piece in _split_people(text):
        m = _PERSON.match(piece)
        name, title, email = (
            (m["name"].strip(), m["title"], m["email"]) if m else (piece, None, None)
        )
        people.append(sides.participant(name or None, email, title))
    return people


def _read_txt(text: str, name: str, sides: Sides, warnings: list[str]) -> ActivityInput:
    lines = text.splitlines()
    headers: dict[str, str] = {}
    start = 0
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            start = i
            break
        headers[m.group(1).lower()] = m.group(2).strip()
        start = i + 1
    body = "\n".join(lines[start:]).strip()
    kind = (headers.get("kind") or "note").lower()
    if kind not in ACTIVITY_KINDS:
        warnings.append(f"{name}: unknown kind {kind!r}; read as a note")
        kind = "note"
    occurred: datetime | None = None
    if headers.get("date"):
        try:
            occurred = datetime.fromisoformat(headers["date"].replace("Z", "+00:00"))
            occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=UTC)
        except ValueError:
            warnings.append(f"{name}: Date {headers['date']!r} is not ISO 8601; ignored")
    return ActivityInput(
        body=body,
        kind=kind,
        subject=headers.get("subject") or None,
        participants=_participants(headers.get("participants", ""), sides),
        direction=headers.get("direction") or None,
        occurred_at=occurred,
    )


def _undeclared_8bit(data: bytes) -> bool:
    """True if the email is not UTF-8 and declares no charset (so its parser would guess)."""
    try:
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        return b"charset=" not in data.split(b"\n\n", 1)[0].lower()


def _email_from_text(text: str, sides: Sides) -> ActivityInput:
    """Parse an email already decoded to text (headers and body keep their accents)."""
    msg = email.message_from_string(text, policy=policy.default)
    people: dict[str, dict[str, object]] = {}
    for header in ("From", "To", "Cc"):
        for addr in getattr(msg.get(header), "addresses", ()):
            key = (addr.addr_spec or addr.display_name).casefold()
            people.setdefault(key, sides.participant(addr.display_name or None, addr.addr_spec))
    part = msg.get_body(preferencelist=("plain", "html")) if msg.is_multipart() else msg
    body = ""
    if part is not None:
        raw = part.get("Content-Transfer-Encoding", "").lower() in ("", "7bit", "8bit", "binary")
        body = str(part.get_payload() if raw else part.get_content())
        body = html_to_text(body) if part.get_content_subtype() == "html" else body
    return ActivityInput(
        body=str(body).strip(),
        kind="email",
        subject=str(msg.get("Subject", "") or "").strip() or None,
        participants=list(people.values()),
    )


def read_activity(
    data: bytes, name: str, *, seller_domains: Sequence[str] = (), max_bytes: int | None = None
) -> ReadActivity:
    """Read one activity from file content.

    Args:
        data: The raw bytes.
        name: File name (``.eml`` is read as email; ``-`` or another name is sniffed).
        seller_domains: Email domains of the seller's side (for participants' sides).
        max_bytes: Refuse content larger than this before decoding it.

    Raises:
        ExtractionInputError: The content is empty, binary, too large or not an email.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise ExtractionInputError(
            f"{name}: more than {max_bytes:,} bytes, over the extraction limit "
            "(KEEL_EXTRACT_MAX_CHARS characters); split it into separate activities "
            "(one per call or email) or raise the limit"
        )
    sides = Sides(domains=set(seller_domains))
    is_email = name.lower().endswith(".eml") or (
        not name.lower().endswith(".txt") and bool(_EMAIL_START.match(data[:200]))
    )
    try:
        if not is_email:
            decoded = decode_bytes(data, name)
            warnings = [decoded.warning] if decoded.warning else []
            return ReadActivity(_read_txt(decoded.text, name, sides, warnings), warnings)
        ensure_text(data, name)
        if _undeclared_8bit(data):
            decoded = decode_bytes(data, name)
            activity = _email_from_text(decoded.text, sides)
            if not activity.body:
                raise ExtractionInputError(f"{name}: the email has no text body")
            return ReadActivity(activity, [decoded.warning] if decoded.warning else [])
        parsed = parse_email(data, sides)
    except ImportFailed as exc:
        raise ExtractionInputError(str(exc)) from exc
    except ValueError as exc:
        raise ExtractionInputError(f"{name}: {exc}") from exc
    if not parsed.body.strip():
        raise ExtractionInputError(f"{name}: the email has no text body")
    warnings = []
    if "\ufffd" in parsed.body:
        warnings.append(
            f"{name}: some bytes of the email body are not valid in its declared charset; "
            "they were replaced with U+FFFD and the rest was kept"
        )
    activity = ActivityInput(
        body=parsed.body,
        kind="email",
        subject=parsed.subject,
        participants=parsed.participants,
        direction=parsed.direction,
        occurred_at=parsed.sent_at,
    )
    return ReadActivity(activity, warnings)
