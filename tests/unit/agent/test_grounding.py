from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.nodes.grounding import (
    date_phrase,
    ground_date,
    ground_deal,
    ground_owner,
    one_deal_instead_of_pipeline,
    typed_by_user,
)
from agent.nodes.router import DEAL_PRONOUNS
from agent.state import FocusDeal
from tools.dates import DateParseError, resolve_when

FOCUS: FocusDeal = {"deal_id": "deal_1", "name": "Northwind - Fleet Renewal"}
NOW = datetime(2026, 11, 24, 15, tzinfo=UTC)


def parses(phrase: str) -> bool:
    try:
        resolve_when(phrase, now=NOW)
    except DateParseError:
        return False
    return True


@pytest.mark.parametrize(
    ("reference", "text"),
    [
        ("Acme Freight", "what's the status of Acme Freight?"),
        ("Acme Freight Renewal", "how is acme doing"),
    ],
)
def test_reference_made_of_the_users_words_is_kept(reference: str, text: str) -> None:
    assert typed_by_user(reference, text)
    assert ground_deal(reference, text, FOCUS, pronouns=DEAL_PRONOUNS) == reference


@pytest.mark.parametrize(
    ("reference", "text", "kept"),
    [
        ("Northwind", "wheres nortwind at", "nortwind"),  # the model "fixed" the typo
        ("Innoclad Home", "write a folow up to Irnoclad Home", "irnoclad Home"),
    ],
)
def test_respelled_words_go_back_to_the_users_spelling(
    reference: str, text: str, kept: str
) -> None:
    assert ground_deal(reference, text, FOCUS, pronouns=DEAL_PRONOUNS) == kept


def test_follow_up_naming_another_deal_does_not_keep_the_focus_deal() -> None:
    # The model copied the deal under discussion; the user named another one.
    text = "now do the same for Globex Logistics Expansion"
    got = ground_deal(FOCUS["name"], text, FOCUS, pronouns=DEAL_PRONOUNS)
    assert got == "Globex Logistics Expansion"


@pytest.mark.parametrize(
    "text", ["what's its score?", "draft a follow-up email for it", "what changed on that deal?"]
)
def test_pronoun_in_the_message_means_the_focus_deal(text: str) -> None:
    assert ground_deal("Hooli Payroll", text, FOCUS, pronouns=DEAL_PRONOUNS) == FOCUS["name"]


def test_elliptical_follow_up_keeps_the_focus_deal() -> None:
    assert (
        ground_deal(FOCUS["name"], "and the score?", FOCUS, pronouns=DEAL_PRONOUNS)
        == (FOCUS["name"])
    )


def test_invented_deal_without_focus_falls_back_to_what_the_user_wrote() -> None:
    got = ground_deal("Initech Payroll", "give me the score for Vandelay", None, pronouns=set())
    assert got == "Vandelay"


def test_pronoun_argument_is_left_for_the_focus_rule() -> None:
    assert ground_deal("that deal", "how about that deal", FOCUS, pronouns=DEAL_PRONOUNS) == (
        "that deal"
    )


def test_date_phrase_is_found_after_its_preposition() -> None:
    assert date_phrase("what changed on Stark since last monday?", parses) == "last monday"
    assert date_phrase("pipeline at quarter start please", parses) == "quarter start"
    assert date_phrase("what changed on Stark?", parses) is None


def test_date_the_user_did_not_type_is_replaced_by_theirs() -> None:
    text = "what changed on Stark since last monday"
    assert ground_date("2026-11-10", text, parses) == "last monday"
    assert ground_date("last monday", text, parses) == "last monday"
    # Nothing to ground on: the model's phrase stays (the tool reports a bad one).
    assert ground_date("last week", "has anything happened on Vandelay lately?", parses) == (
        "last week"
    )


def test_date_phrase_anywhere_in_the_message() -> None:
    assert date_phrase("what changed on Union Valley this week?", parses) == "this week"
    assert date_phrase("how did my pipeline look a month ago compared to now", parses) in (
        "a month ago",
        "look a month ago",
    )
    assert date_phrase("may I see what changed on Acme", parses) is None


@pytest.mark.parametrize(
    ("owner", "text", "kept"),
    [
        ("Dana Lee", "show me Dana's slipped deals", "Dana Lee"),
        ("Aaron Byrne", "what did the team pipeline look like at quarter start", ""),
        ("Ingrid Korhonen", "which of my deals slipped", ""),
        ("", "which of my deals slipped", ""),
    ],
)
def test_owner_only_when_the_user_named_them(owner: str, text: str, kept: str) -> None:
    assert ground_owner(owner, text) == kept


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("and Rockport Grocers?", "Rockport Grocers"),  # names another deal: never the focus
        ("and the score?", FOCUS["name"]),
        ("what about the email?", FOCUS["name"]),
    ],
)
def test_elliptical_follow_up(text: str, meant: str) -> None:
    assert ground_deal(FOCUS["name"], text, FOCUS, pronouns=DEAL_PRONOUNS) == meant


@pytest.mark.parametrize(
    ("args", "text", "expected"),
    [
        (
            {"when": "first of the month", "owner": ""},
            "what did Glcaier Bay look like since the first of the month",
            ("deal_changes", {"deal": "Glcaier Bay", "since": "first of the month"}),
        ),
        (
            {"when": "last two weeks", "owner": "Northwind Parcel"},
            "gimme the history of Northwind Parcel over the last two weeks",
            ("deal_changes", {"deal": "Northwind Parcel", "since": "last two weeks"}),
        ),
    ],
)
def test_a_snapshot_of_one_named_deal_becomes_its_changes(
    args: dict[str, str], text: str, expected: tuple[str, dict[str, str]]
) -> None:
    assert one_deal_instead_of_pipeline("pipeline_snapshot", args, text, parses) == expected


@pytest.mark.parametrize(
    "text",
    [
        "what did my pipeline look like at quarter start",
        "how did things look a month ago",
        "show me Aisha's book as of last monday",
    ],
)
def test_pipeline_requests_stay_pipeline_snapshots(text: str) -> None:
    args = {"when": "quarter start", "owner": ""}
    assert one_deal_instead_of_pipeline("pipeline_snapshot", args, text, parses) == (
        "pipeline_snapshot",
        args,
    )
