"""Reading ``.eml`` files and deciding who is on the seller's side of a conversation.

Emails are parsed with the standard library (``email.policy.default``); the plain-text
body is preferred and HTML-only mail is reduced to text. A participant is on the
seller's side when their address is a known user's or their domain is a seller
domain; everyone else is the buyer.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:  # HTML collapses whitespace; line breaks come from block tags
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Reduce HTML to readable plain text (block elements become line breaks)."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass
class Sides:
    """Decides a participant's side from seller domains and the org's user emails."""

    domains: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    @property
    def known(self) -> bool:
        """True if anything tells sellers apart (otherwise sides are left unknown)."""
        return bool(self.domains or self.emails)

    def side(self, email: str | None, name: str | None = None) -> str | None:
        """``seller``, ``buyer``, or ``None`` when nothing tells them apart."""
        if email:
            address = email.casefold()
            domain = address.rsplit("@", 1)[-1]
            if address in self.emails or any(
                domain == d or domain.endswith("." + d) for d in self.domains
            ):
                return "seller"
            return "buyer" if self.known else None
        if name and name.casefold() in self.names:
            return "seller"
        return "buyer" if self.known and name else None

    def participant(
        self, name: str | None, email: str | None, title: str | None = None, side: str | None = None
    ) -> dict[str, Any]:
        """A participant record ``{"name", "email", "title", "side"}``."""
        email = email or None
        return {
            "name": name or (email.split("@")[0] if email else None),
            "email": email,
            "title": title or None,
            "side": side or self.side(email, name),
        }


@dataclass
class ParsedEmail:
    """What an ``.eml`` file says."""

    message_id: str | None
    subject: str | None
    body: str
    sent_at: datetime | None
    deal: str | None
    participants: list[dict[str, Any]]
    direction: str | None


def _addresses(msg: EmailMessage, header: str) -> list[Address]:
    value = msg.get(header)
    if value is None:
        return []
    return list(getattr(value, "addresses", ()))


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_subtype() == "html" else content.strip()


def parse_email(data: bytes, sides: Sides) -> ParsedEmail:
    """Parse one RFC 822 message: headers, best text body, participants and direction.

    Raises:
        ValueError: the content is not an email (no From/To/Subject headers at all).
    """
    msg = BytesParser(policy=policy.default).parsebytes(data)
    if not any(msg.get(h) for h in ("From", "To", "Subject", "Date")):
        raise ValueError("not an email message (no From, To, Subject or Date header)")
    senders = _addresses(msg, "From")
    people: dict[str, dict[str, Any]] = {}
    for header in ("From", "To", "Cc"):
        for addr in _addresses(msg, header):
            email = addr.addr_spec or None
            key = (email or addr.display_name).casefold()
            if key and key not in people:
                people[key] = sides.participant(addr.display_name or None, email)
    direction = None
    if senders and sides.known:
        sender_side = sides.side(senders[0].addr_spec, senders[0].display_name)
        direction = "outbound" if sender_side == "seller" else "inbound"
    sent_at: datetime | None = None
    date_header = msg.get("Date")
    if date_header is not None:
        sent_at = getattr(date_header, "datetime", None)
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=UTC)
    message_id = str(msg.get("Message-ID", "") or "").strip().strip("<>") or None
    deal = str(msg.get("X-Keel-Deal", "") or "").strip() or None
    subject = str(msg.get("Subject", "") or "").strip() or None
    return ParsedEmail(
        message_id=message_id,
        subject=subject,
        body=_body(msg),
        sent_at=sent_at.astimezone(UTC) if sent_at else None,
        deal=deal,
        participants=list(people.values()),
        direction=direction,
    )
