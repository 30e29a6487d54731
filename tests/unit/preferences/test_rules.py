from __future__ import annotations

import pytest

from agent.learning.classify import abuse_terms, classify_kind, is_pleasantry, strip_abuse
from agent.learning.concepts import tags
from agent.learning.facts import is_fact_fix, span_is_factual
from agent.learning.matching import contradicts, equivalent, shape
from agent.learning.rules import is_stop_that, read_correction


@pytest.mark.parametrize(
    ("message", "statement", "polarity", "kind"),
    [
        (
            "no, frame it around cost savings, not velocity",
            "frame it around cost savings, not velocity",
            "do",
            "framing",
        ),
        ("Too long.", "keep it shorter", "do", "length"),
        ("can you please not use exclamation marks", "not use exclamation marks", "avoid", "tone"),
        ("no exclamation marks", "no exclamation marks", "avoid", "tone"),
        (
            "exclamation marks are fine actually",
            "exclamation marks are fine actually",
            "allow",
            "tone",
        ),
        (
            "Could you sign off with just my first name?",
            "sign off with just my first name",
            "do",
            "structure",
        ),
        (
            "hmm, mention the mutual action plan please",
            "mention the mutual action plan",
            "do",
            "content",
        ),
        ("too many exclamation marks", "fewer exclamation marks", "avoid", "tone"),
    ],
)
def test_read_correction(message: str, statement: str, polarity: str, kind: str) -> None:
    r = read_correction(message)
    assert (r.statement, r.polarity) == (statement, polarity)
    assert r.recognised
    assert classify_kind(r.statement, r.target) == kind


def test_contrast_is_split() -> None:
    r = read_correction("frame it around cost savings, not speed")
    assert r.target == "frame it around cost savings" and r.contrast == "speed"
    r = read_correction("not speed but savings")
    assert (r.target, r.contrast) == ("savings", "speed")


@pytest.mark.parametrize(
    "message",
    [
        "no, the amount is 50k not 40k",
        "it's Maria, not Marie",
        "the call is on Tuesday",
        "close date is 2026-03-31",
        "Dana moved to Northwind, she is their CFO now",
        "Priya left Acme last month",
        "Tom reports to the COO, not the CFO",
    ],
)
def test_fact_fixes(message: str) -> None:
    r = read_correction(message)
    assert is_fact_fix(message, contrast=(r.target, r.contrast) if r.contrast else None)


@pytest.mark.parametrize(
    "message",
    [
        "keep emails under 120 words",
        "frame it around cost savings, not speed",
        "use 3 bullets at most",
        "Sign off with just my first name",
        "stop calling their CFO the decision maker in every email",
    ],
)
def test_style_with_numbers_is_not_a_fact_fix(message: str) -> None:
    assert not is_fact_fix(message)


def test_factual_spans() -> None:
    assert (
        span_is_factual("$40,000") and span_is_factual("Maria Chen") and span_is_factual("March 3")
    )
    assert not span_is_factual("game-changer") and not span_is_factual("")


def test_abuse_is_removed_but_instructions_kept() -> None:
    assert abuse_terms("you are an idiot")
    assert strip_abuse("this is fucking useless, make it shorter") == "make it shorter"
    assert not abuse_terms("keep it short")


@pytest.mark.parametrize(
    "text", ["stop doing that", "please don't do that again", "forget it", "Stop that!"]
)
def test_stop_that(text: str) -> None:
    assert is_stop_that(text)


@pytest.mark.parametrize("text", ["stop using exclamation marks", "stop saying game-changer"])
def test_stop_with_a_target_is_a_preference(text: str) -> None:
    assert not is_stop_that(text)
    assert read_correction(text).polarity == "avoid"


def test_pleasantries() -> None:
    assert is_pleasantry("thanks, looks good!") and is_pleasantry("perfect")
    assert not is_pleasantry("thanks, but shorter")


def test_concepts_match_whole_words_only() -> None:
    assert "call" not in tags("stop selling speed, it's about lowering their costs")
    assert tags("drop the exclamation points") == {"exclamation"}


def _shape(text: str) -> object:
    r = read_correction(text)
    return shape(
        kind=classify_kind(r.statement, r.target),
        polarity=r.polarity,
        statement=r.statement,
        target=r.target,
        contrast=r.contrast,
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("no exclamation marks", "drop the exclamation points"),
        ("keep it short", "no long emails"),
        ("sign with my first name only", "drop my last name from the sign-off"),
        ("open with their numbers", "start with the customer's own figures"),
    ],
)
def test_paraphrases_are_equivalent(a: str, b: str) -> None:
    assert equivalent(_shape(a), _shape(b), 0.0, 0.62)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("no exclamation marks", "avoid buzzwords"),
        ("use bullets for next steps", "sign off with first name"),
        ("open with their numbers", "open with a question"),
    ],
)
def test_different_preferences_are_not(a: str, b: str) -> None:
    assert not equivalent(_shape(a), _shape(b), 0.5, 0.62)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("exclamation marks are fine", "no exclamation marks"),
        ("don't use bullet points", "use bullet points for next steps"),
        ("frame it around speed, not cost savings", "frame it around cost savings, not speed"),
        ("add more detail", "keep it short"),
    ],
)
def test_contradictions(new: str, old: str) -> None:
    assert contradicts(_shape(new), _shape(old), 0.5, 0.6)  # type: ignore[arg-type]
    assert not equivalent(_shape(new), _shape(old), 0.9, 0.62)  # type: ignore[arg-type]
