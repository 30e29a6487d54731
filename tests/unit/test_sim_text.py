"""Simulated activity text: realistic, varied, and its truth matches exactly what it says."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from evals.sim import SimConfig, World, simulate
from evals.sim.vocab import COMPETITORS, SELLER_COMPANY, SELLER_SHORT

VENDORS = [c for c in COMPETITORS if c != "in-house"]
SIGNAL_KEY_LINE = re.compile(
    r"^\s*[-*]?\s*(champion|economic[ _]buyer([ _]engaged)?|competitors?"
    r"|next[ _]meeting([ _]scheduled)?|business[ _]case([ _]shared)?|pricing([ _]discussed)?"
    r"|stakeholders?|risks?)\s*[:=]",
    re.IGNORECASE | re.MULTILINE,
)


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(deals=400, seed=21))


def _pairs(world: World):  # type: ignore[no-untyped-def]
    for act in world.activities:
        yield act, world.truth.activities[act["source_id"]]


def test_every_true_name_title_and_competitor_appears_verbatim(world: World) -> None:
    for act, truth in _pairs(world):
        body, s = act["body"], truth.signals
        people = [s["champion"], s["economic_buyer"], *s["stakeholders"]]
        for person in filter(None, people):
            assert person["name"] in body, (act["source_id"], person)
        for role in ("champion", "economic_buyer"):
            if s[role]:
                assert s[role]["title"] in body, (act["source_id"], s[role])
        for comp in s["competitors"]:
            assert comp in body, (act["source_id"], comp)


def test_competitor_names_only_appear_as_competitors_or_labelled_distractors(world: World) -> None:
    distractors = Counter()
    for act, truth in _pairs(world):
        for vendor in VENDORS:
            if vendor in act["body"] and vendor not in truth.signals["competitors"]:
                tags = set(truth.tags)
                assert tags & {"competitor_negated", "competitor_context"}, act["source_id"]
                distractors.update(tags & {"competitor_negated", "competitor_context"})
        if "in-house" in act["body"]:
            assert "in-house" in truth.signals["competitors"], act["source_id"]
        for comp in truth.signals["competitors"]:
            assert SELLER_SHORT not in comp and comp in COMPETITORS
    assert distractors["competitor_negated"] > 5 and distractors["competitor_context"] > 5


def test_no_activity_text_has_key_value_signal_lines(world: World) -> None:
    for act in world.activities:
        match = SIGNAL_KEY_LINE.search(act["body"])
        assert match is None, (act["source_id"], match.group(0) if match else "")


def test_text_is_varied_and_multi_speaker(world: World) -> None:
    bodies = [a["body"] for a in world.activities]
    assert len(set(bodies)) == len(bodies)
    calls = [a for a in world.activities if a["kind"] == "call"]
    speaker = re.compile(r"^(?:\[\d\d:\d\d\] )?[A-Z][a-z]+ [A-Z][a-z]+ \([^)]+\): ", re.M)
    assert all(len(set(speaker.findall(c["body"]))) >= 2 for c in calls)
    emails = [a for a in world.activities if a["kind"] == "email"]
    assert sum("wrote:\n>" in e["body"] for e in emails) > len(emails) * 0.2
    assert {a["kind"] for a in world.activities} == {"call", "meeting", "email", "note"}
    assert all(e["direction"] in ("inbound", "outbound") for e in emails)
    assert all(a["direction"] is None for a in world.activities if a["kind"] != "email")


def test_hard_cases_are_present_and_carry_no_signal(world: World) -> None:
    tags = Counter(t for _, truth in _pairs(world) for t in truth.tags)
    for tag in (
        "next_proposed",
        "next_vague",
        "bc_suggested",
        "eb_absent",
        "enthusiast",
        "small_talk",
    ):
        assert tags[tag] > 0, tag
    for act, truth in _pairs(world):
        injected = "ignore" in act["body"].lower() and "instructions" in act["body"]
        assert injected == ("injection" in truth.tags)
        if "next_proposed" in truth.tags and "next_confirmed" not in truth.tags:
            assert truth.next_meeting_at is None or truth.signals["next_meeting_scheduled"]
        if "eb_absent" in truth.tags:
            assert truth.signals["economic_buyer"] is not None
    assert tags["injection"] > 0


def test_scheduled_meetings_really_happen_at_the_agreed_time(world: World) -> None:
    meetings: dict[str, set[object]] = {}
    for act in world.activities:
        if act["kind"] in ("call", "meeting"):
            meetings.setdefault(act["deal_id"], set()).add(act["occurred_at"])
    scheduled = 0
    for _, truth in _pairs(world):
        assert truth.signals["next_meeting_scheduled"] == (truth.next_meeting_at is not None)
        if truth.next_meeting_at is not None and truth.next_meeting_at <= world.config.end:
            scheduled += 1
            assert truth.next_meeting_at in meetings[truth.deal_id]
    assert scheduled > 50


def test_seller_never_counts_as_buyer_and_our_company_is_never_a_competitor(world: World) -> None:
    sellers = {u["name"] for u in world.users}
    for act, truth in _pairs(world):
        names = {p["name"] for p in truth.signals["stakeholders"]}
        assert not names & sellers
        assert SELLER_COMPANY not in truth.signals["competitors"]
        buyers = {p["name"] for p in act["participants"] if p["side"] == "buyer"}
        if act["kind"] in ("call", "meeting", "email"):
            assert buyers <= names, act["source_id"]


def test_shocks_are_revealed_in_words_at_or_after_their_date(world: World) -> None:
    by_id = world.truth.activity_by_id()
    bodies = {a["id"]: a["body"] for a in world.activities}
    assert world.truth.shocks
    for shock in world.truth.shocks:
        if shock.activity_id is None:
            continue
        truth = by_id[shock.activity_id]
        assert truth.occurred_at >= shock.date
        expected = "budget freeze" if shock.kind == "budget_frozen" else "champion left"
        assert expected in truth.signals["risks"]
        body = bodies[shock.activity_id].lower()
        assert (
            ("freeze" in body or "froze" in body)
            if shock.kind == "budget_frozen"
            else "left" in body or "no longer with" in body
        )
