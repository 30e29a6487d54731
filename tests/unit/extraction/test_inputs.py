from __future__ import annotations

import pytest

from agent.extraction.chunking import ExtractionInputError
from agent.extraction.inputs import read_activity

EML = (
    "From: Ingrid Solberg <ingrid@fjordfrakt.no>\nTo: Tom Becker <tom.becker@keelson.io>\n"
    "Subject: Re: session\nDate: Tue, 24 Feb 2026 08:05:00 +0100\n"
    'Content-Type: text/plain; charset="utf-8"\n\nThursday at 10:00 is fine.\n'
)


def test_txt_headers_and_participants() -> None:
    data = (
        b"Kind: call\nDate: 2026-03-11T14:00:00Z\nSubject: Review\n"
        b"Participants: Lena Ortiz <lena@keelson.io>, Helen Strand (CFO) <helen@bw.com>\n\n"
        b"Helen Strand (CFO): It comes out of my budget.\n"
    )
    read = read_activity(data, "call.txt", seller_domains=["keelson.io"])
    a = read.activity
    assert a.kind == "call" and a.subject == "Review" and a.occurred_at is not None
    assert a.body.startswith("Helen Strand (CFO):")
    sides = {p["name"]: (p["title"], p["side"]) for p in a.participants}
    assert sides == {"Lena Ortiz": (None, "seller"), "Helen Strand": ("CFO", "buyer")}


def test_eml_parsed_with_sender_first() -> None:
    read = read_activity(EML.encode(), "reply.eml", seller_domains=["keelson.io"])
    assert read.activity.kind == "email" and read.activity.body == "Thursday at 10:00 is fine."
    assert read.activity.participants[0]["name"] == "Ingrid Solberg"
    assert read.activity.direction == "inbound"


def test_stdin_is_sniffed_as_email() -> None:
    assert read_activity(EML.encode(), "-").activity.kind == "email"
    assert read_activity(b"Just a note about the call.", "-").activity.kind == "note"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"%PDF-1.7 ...", "PDF"),
    ],
)
def test_bad_input_is_refused_clearly(data: bytes, message: str) -> None:
    with pytest.raises(ExtractionInputError, match=message):
        read_activity(data, "bad.txt")


def test_oversized_input_refused_before_decoding() -> None:
    with pytest.raises(ExtractionInputError, match="over the extraction limit"):
        read_activity(b"x" * 2_000_000, "huge.txt", max_bytes=1_000_000)


def test_non_utf8_text_is_decoded_with_warning() -> None:
    read = read_activity("Grüße, the price is 40.000 €".encode("cp1252"), "note.txt")
    assert read.activity.body == "Grüße, the price is 40.000 €"
    assert read.warnings and "not valid UTF-8" in read.warnings[0]


def test_non_utf8_email_without_charset_keeps_accents() -> None:
    raw = (
        "From: Jürgen Maß <j@x.de>\nTo: Tom <tom@keelson.io>\nSubject: Preis\n\nGrüße, 40.000 EUR\n"
    )
    read = read_activity(raw.encode("latin-1"), "mail.eml", seller_domains=["keelson.io"])
    assert read.activity.body == "Grüße, 40.000 EUR"
    assert read.activity.participants[0]["name"] == "Jürgen Maß"
    assert read.warnings


def test_not_an_email() -> None:
    with pytest.raises(ExtractionInputError, match="not an email"):
        read_activity(b"hello there", "x.eml")
