"""Deterministic reading of an activity: numbered lines, who said or wrote each, who is there.

Speaker labels (``[00:20] Maria Chen (VP Operations, Acme): ...``), email headers
(``From:``/``To:``/``Cc:``), quoted history (``On ..., X wrote:``, ``> ...``), forwarded
blocks, attendee lines and signatures are regular language: parsing them here gives the
LLM an enum of real candidate names and real lines to quote, and gives each line its
author, so a quote can be attributed without asking the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from agent.extraction.activity import ActivityInput, Document, Line, Person
from agent.extraction.names import NAME, clean_name, is_person_name, same_person

__all__ = ["ActivityInput", "Document", "Line", "Person", "read_document"]

_STAMP = r"(?:\[?\d{1,2}:\d{2}(?::\d{2})?\]?\s*[-–]?\s*)?"
SPEAKER = re.compile(
    rf"^\s*{_STAMP}(?P<name>{NAME})\s*(?:\((?P<meta>[^()\n]{{1,80}})\))?\s*:\s*(?P<text>.*)$"
)
HEADER = re.compile(r"^\s*>?\s*(?P<key>From|To|Cc|Sent|Date|Subject)\s*:\s*(?P<value>.*)$", re.I)
WROTE = re.compile(r"^\s*On\s.{3,100}?,\s*(?P<who>[^,<>\n]{2,60}?)\s*(?:<[^>\n]*>)?\s*wrote:\s*$")
FORWARD = re.compile(r"^\s*-{2,}\s*(?:Forwarded|Original) message\s*-{2,}\s*$", re.I)
ATTENDEES = re.compile(
    r"^\s*(?:Attendees|Participants|Present|On the call)\s*:\s*(?P<list>.+)$", re.I
)
ADDRESS = re.compile(
    r'"?(?P<name>[^"<>,;]*?)"?\s*<(?P<email>[^<>\s]+@[^<>\s]+)>|(?P<bare>[\w.+-]+@[\w.-]+)'
)
PERSON_TITLE = re.compile(rf"(?P<name>{NAME})\s*\((?P<title>[^()\n]{{2,60}})\)")
TURN_CHARS = 200
GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|morning|hi all)\b[^.!?]{0,40}[,!:]?$",
    re.I,
)
SIGNOFF = re.compile(
    r"^(?:thanks|thank you|many thanks|best|regards|best regards|kind regards|warm regards|"
    r"cheers|talk soon|all the best|br|sincerely|speak soon|thx)\b[^.!?]{0,25}[,!.]?$",
    re.I,
)
_TITLE_LINE = re.compile(r"[^\W\d_][\w &/,|.'’()-]{1,70}")
_TITLE_WORDS = (
    r"(?:CFO|COO|CEO|CTO|CIO|CISO|GM|(?:S|E)?VP(?: of)?(?: [A-Z][a-z]+){1,2}|Vice President"
    r"(?: of)?(?: [A-Z][a-z]+){1,2}|Head of(?: [A-Z][a-z]+){1,2}|Director of(?: [A-Z][a-z]+){1,2}|"
    r"(?:[A-Z][a-z]+ ){1,2}(?:Director|Manager|Lead)|Chief [A-Z][a-z]+ Officer|"
    r"(?:finance|IT|operations|procurement|logistics) (?:director|manager|lead|head))"
)
TITLE_THEN_NAME = re.compile(
    rf"\b(?i:our|their|her|his|your|the)\s+(?P<title>{_TITLE_WORDS}),?\s+(?P<name>{NAME})"
)
NAME_THEN_TITLE = re.compile(
    rf"(?P<name>{NAME}),\s+(?i:our|their|her|his|the)\s+(?P<title>{_TITLE_WORDS})\b"
)
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"'(A-Z0-9])")


class _Builder:
    def __init__(self, sellers: Sequence[str], seller_domains: Sequence[str]) -> None:
        self.sellers = [s.casefold() for s in sellers if s]
        self.domains = [d.casefold() for d in seller_domains if d]
        self.people: list[Person] = []
        self.lines: list[Line] = []

    def side_of(self, *, meta: str | None = None, email: str | None = None) -> str | None:
        if email:
            domain = email.casefold().rsplit("@", 1)[-1]
            if any(domain == d or domain.endswith("." + d) for d in self.domains):
                return "seller"
            return "buyer"
        if meta and any(s in meta.casefold() for s in self.sellers):
            return "seller"
        return None

    def add(self, name: str, **known: Any) -> Person | None:
        name = clean_name(name)
        if not is_person_name(name) or any(s == name.casefold() for s in self.sellers):
            return None
        for p in self.people:
            if same_person(p.name, name):
                if len(name.split()) > len(p.name.split()):
                    p.name = name
                for key, value in known.items():
                    if value and not getattr(p, key):
                        setattr(p, key, value)
                return p
        person = Person(name=name, **{k: v for k, v in known.items() if v is not None})
        self.people.append(person)
        return person

    def line(self, text: str, **kw: Any) -> None:
        text = text.strip()
        if text:
            self.lines.append(Line(number=len(self.lines) + 1, text=text, **kw))

    def addresses(self, value: str, *, wrote: bool) -> str | None:
        first: str | None = None
        for m in ADDRESS.finditer(value):
            email = m["email"] or m["bare"]
            name = (m["name"] or "").strip() or _name_from_email(email)
            if "," in name:  # "Olsen, Karin"
                last, _, given = name.partition(",")
                name = f"{given.strip()} {last.strip()}"
            p = self.add(name, email=email, side=self.side_of(email=email), spoke=wrote)
            first = first or (p.name if p else None)
        return first


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._-]+", local) if p.isalpha()]
    return " ".join(p.capitalize() for p in parts) if len(parts) >= 2 else ""


def _split_meta(meta: str | None) -> tuple[str | None, str | None]:
    """``"Account Executive, Keelson"`` -> (title, company)."""
    if not meta:
        return None, None
    title, _, company = meta.partition(",")
    return title.strip() or None, company.strip() or None


def _pieces(text: str) -> list[str]:
    """A short turn stays one line; a long one is split into sentences."""
    if len(text) <= TURN_CHARS:
        return [text]
    return [s for s in SENTENCE.split(text) if s.strip()]


def read_document(
    activity: ActivityInput, *, sellers: Sequence[str] = (), seller_domains: Sequence[str] = ()
) -> Document:
    """Parse an activity into numbered lines and people (no LLM).

    Args:
        activity: The activity.
        sellers: Our company/product names (a speaker labelled with one is a seller).
        seller_domains: Email domains of the seller's side.
    """
    b = _Builder(sellers, seller_domains)
    for p in activity.participants:
        if p.get("name"):
            b.add(
                str(p["name"]),
                title=p.get("title"),
                side=p.get("side") or b.side_of(email=p.get("email")),
                email=p.get("email"),
                attended=activity.kind in ("call", "meeting"),
            )
    raw = activity.body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    speakers = sum(1 for r in raw if SPEAKER.match(r) and not HEADER.match(r))
    transcript = speakers >= 2 and activity.kind != "email"
    author: str | None = None
    if activity.kind == "email" and b.people and not any(HEADER.match(r) for r in raw[:3]):
        author = b.people[0].name  # importers list the sender first
        b.people[0].spoke = True
    quoted = False
    in_headers = False
    signature = False
    for row in raw:
        text = row.strip()
        if not text:
            in_headers = False
            continue
        bare = text.lstrip("> ").strip()
        special = HEADER.match(text) or WROTE.match(text) or FORWARD.match(text)
        if special:
            signature = False
        elif activity.kind == "email" and (GREETING.match(bare) or SIGNOFF.match(bare)):
            signature = signature or bool(SIGNOFF.match(bare))
            b.line(bare, speaker=author, structural=True, quoted=quoted or text.startswith(">"))
            continue
        elif signature and len(bare.split()) <= 12 and not bare.endswith((".", "?", "!")):
            b.line(bare, speaker=author, structural=True, quoted=quoted or text.startswith(">"))
            continue
        else:
            signature = False
        header = HEADER.match(text)
        if header and (in_headers or header["key"].lower() == "from" or not b.lines):
            key = header["key"].lower()
            if key == "from":
                quoted = quoted or author is not None
                author = b.addresses(header["value"], wrote=True) or author
            elif key in ("to", "cc"):
                b.addresses(header["value"], wrote=False)
            in_headers = True
            b.line(text, structural=True, quoted=quoted)
            continue
        wrote = WROTE.match(text)
        if wrote or FORWARD.match(text):
            quoted = True
            if wrote:
                who = wrote["who"].strip().strip('"')
                wrote_by = b.add(who, spoke=True)
                author = wrote_by.name if wrote_by else None
            b.line(text, structural=True, quoted=True)
            continue
        attendees = ATTENDEES.match(text)
        if attendees:
            for m in PERSON_TITLE.finditer(attendees["list"]):
                title, company = _split_meta(m["title"])
                side = b.side_of(meta=company or title)
                b.add(
                    m["name"],
                    title=None if side == "seller" and company is None else title,
                    side=side,
                    attended=True,
                )
            for piece in re.split(r"[,;]", re.sub(r"\([^)]*\)", "", attendees["list"])):
                b.add(piece, attended=True)
            b.line(text, structural=True)
            continue
        body = text.lstrip("> ").strip() if text.startswith(">") else text
        is_quoted = quoted or text.startswith(">")
        speaker = SPEAKER.match(body) if transcript else None
        if speaker and speaker["text"].strip():
            title, company = _split_meta(speaker["meta"])
            side = b.side_of(meta=speaker["meta"])
            said_by = b.add(
                speaker["name"],
                title=title if company or side != "seller" else None,
                side=side,
                spoke=True,
                attended=True,
            )
            who = said_by.name if said_by else speaker["name"]
            _mentions(b, speaker["text"])
            for sentence in _pieces(speaker["text"]):
                b.line(sentence, speaker=who, quoted=is_quoted)
            continue
        for m in PERSON_TITLE.finditer(body):
            title, company = _split_meta(m["title"])
            b.add(m["name"], title=title, side=b.side_of(meta=company))
        _mentions(b, body)
        for sentence in _pieces(body):
            b.line(sentence, speaker=author if activity.kind == "email" else None, quoted=is_quoted)
    _signatures(b)
    return Document(kind=activity.kind, lines=b.lines, people=b.people, transcript=transcript)


def _mentions(b: _Builder, text: str) -> None:
    """People introduced in prose with their title: "our COO, Adam Reid" / "Adam Reid, our COO"."""
    for pattern in (TITLE_THEN_NAME, NAME_THEN_TITLE):
        for m in pattern.finditer(text):
            b.add(m["name"], title=m["title"])


def _signatures(b: _Builder) -> None:
    """``Jane Roe`` followed by ``VP Finance | Acme`` or ``Jane Roe, VP Finance``: a title."""
    for i, line in enumerate(b.lines[:-1]):
        name = clean_name(line.text.rstrip(","))
        p = next((q for q in b.people if same_person(q.name, name)), None)
        if p is None or p.title or len(line.text) > 40:
            continue
        nxt = b.lines[i + 1].text
        if _TITLE_LINE.fullmatch(nxt) and not (FORWARD.match(nxt) or WROTE.match(nxt)):
            title, _, company = nxt.replace("|", ",").partition(",")
            if p.side is None:
                p.side = b.side_of(meta=company)
            if p.side != "seller" and not any(ch.isdigit() for ch in title):
                p.title = title.strip() or None
