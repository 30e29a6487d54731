from __future__ import annotations

from agent.extraction.document import ActivityInput, read_document

SELLERS = ["Keelson Logistics Software", "Keelson"]


def doc(body: str, kind: str = "call", **kw: object):  # type: ignore[no-untyped-def]
    return read_document(
        ActivityInput(body=body, kind=kind, **kw),  # type: ignore[arg-type]
        sellers=SELLERS,
        seller_domains=["keelson.io"],
    )


def test_speaker_labels_with_timestamps_titles_and_sides() -> None:
    d = doc(
        "Transcript (auto-generated)\n\n"
        "[00:20] Simon Iyer (Account Executive, Keelson): How do you plan today?\n"
        "[01:27] Dana Mendes (Director of IT): Spreadsheets. It hurts.\n"
    )
    people = {p.name: p for p in d.people}
    assert people["Simon Iyer"].side == "seller"
    assert people["Dana Mendes"].title == "Director of IT" and people["Dana Mendes"].spoke
    assert [(ln.speaker, ln.text) for ln in d.lines if ln.speaker] == [
        ("Simon Iyer", "How do you plan today?"),
        ("Dana Mendes", "Spreadsheets. It hurts."),
    ]
    assert "Recording" not in people and "Transcript" not in " ".join(people)


def test_first_name_labels_take_full_names_from_participants() -> None:
    d = doc(
        "Tom: Morning.\nBeatrice: I presented it to the board.\n",
        participants=[{"name": "Beatrice Hollis", "title": "COO", "side": "buyer"}],
    )
    assert d.lines[1].speaker == "Beatrice Hollis"
    assert d.person("Beatrice").title == "COO"  # type: ignore[union-attr]


def test_email_headers_quoted_history_and_signature() -> None:
    d = doc(
        "From: Anja Petersen <anja@nordlys.dk>\nTo: Tom Becker <tom.becker@keelson.io>\n\n"
        "Hi Tom,\n\nWe dropped Fleetly.\n\nBest regards,\nAnja Petersen\nHead of Planning\n"
        "Nordlys A/S\n\nOn Mon, Feb 23, 2026 at 3:45 PM, Johan Ek <johan@nordlys.dk> wrote:\n"
        "> It comes out of my budget.\n",
        kind="email",
    )
    people = {p.name: p for p in d.people}
    assert people["Tom Becker"].side == "seller" and people["Anja Petersen"].side == "buyer"
    assert people["Anja Petersen"].title == "Head of Planning"
    assert people["Johan Ek"].spoke  # wrote a message quoted in this thread
    body = [ln for ln in d.lines if not ln.structural]
    assert [(ln.speaker, ln.text, ln.quoted) for ln in body] == [
        ("Anja Petersen", "We dropped Fleetly.", False),
        ("Johan Ek", "It comes out of my budget.", True),
    ]


def test_forwarded_block_changes_the_author() -> None:
    d = doc(
        "Forwarding his reply.\n\n---------- Forwarded message ---------\n"
        "From: Johan Ek <johan@bergvik.se>\nTo: Sofia <sofia@bergvik.se>\n\nI will sign off.\n",
        kind="email",
        participants=[{"name": "Sofia Lindahl", "email": "sofia@bergvik.se"}],
    )
    assert d.lines[-1].speaker == "Johan Ek" and d.lines[-1].quoted
    assert d.lines[0].speaker == "Sofia Lindahl"  # the sender listed first by importers


def test_attendees_and_people_introduced_with_a_title() -> None:
    d = doc(
        "Attendees: Priya Raman (Director of Operations), Tom Becker (Keelson)\n\n"
        "- The budget owner is their COO, Daniel Hughes. Her CFO Samuel Brandt was away.\n",
        kind="meeting",
    )
    people = {p.name: p for p in d.people}
    assert people["Priya Raman"].attended and people["Tom Becker"].side == "seller"
    assert people["Daniel Hughes"].title == "COO" and not people["Daniel Hughes"].attended
    assert people["Samuel Brandt"].title == "CFO"


def test_long_turn_is_split_into_sentences_short_turn_kept_whole() -> None:
    long_turn = "This is a sentence about routes. " * 10
    d = doc(f"A Person (Analyst): Short one. Two.\nB Person (Director): {long_turn}\n")
    by_a = [ln for ln in d.lines if ln.speaker == "A Person"]
    by_b = [ln for ln in d.lines if ln.speaker == "B Person"]
    assert len(by_a) == 1 and len(by_b) == 10
