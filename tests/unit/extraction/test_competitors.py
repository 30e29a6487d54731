from __future__ import annotations

import pytest

from agent.extraction.competitors import competitor_mentions
from tests.unit.extraction.conftest import KNOWN

SELLERS = ["Keelson Logistics Software", "Keelson"]


def hows(text: str, people: tuple[str, ...] = ()) -> dict[str, str]:
    found = competitor_mentions([(1, text)], known=KNOWN, sellers=SELLERS, people=people)
    return {m.name: m.how for m in found}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We had RouteSmart in last week for a demo.", {"RouteSmart": "plain"}),
        ("we are speaking also with Routesmart", {"RouteSmart": "plain"}),
        ("We dropped Fleetly after the reference calls.", {"Fleetly": "negated"}),
        ("We spoke to Fleetly but ruled them out. LoadLogic is still on our list.",
         {"Fleetly": "negated", "LoadLogic": "plain"}),
        ("Fleetly is no longer in the picture, but RouteSmart came in lower.",
         {"Fleetly": "negated", "RouteSmart": "plain"}),
        ("I spent six years at LoadLogic before this.", {"LoadLogic": "context"}),
        ("Did you see TransitPro got acquired?", {"TransitPro": "context"}),
        ("My own developers think they can build a routing module on our ERP.",
         {"in-house": "plain"}),
        ("There's a camp that wants to build this in-house.", {"in-house": "plain"}),
        ("We're also evaluating Wayfinder Pro, recommended by a sister company.",
         {"Wayfinder Pro": "plain"}),
        ("Keelson is the only vendor we're looking at Keelson for.", {}),
        ("We currently use Excel and a whiteboard.", {}),
    ],
)  # fmt: skip
def test_mentions(text: str, expected: dict[str, str]) -> None:
    assert hows(text) == expected


def test_people_are_not_vendors() -> None:
    assert hows("We had a call with Grace Obi yesterday.", people=("Grace Obi",)) == {}


def test_our_own_name_is_never_a_competitor_even_if_listed() -> None:
    found = competitor_mentions(
        [(1, "We compared Keelson with RouteSmart.")],
        known=["Keelson", "RouteSmart"],
        sellers=SELLERS,
    )
    assert [m.name for m in found] == ["RouteSmart"]
