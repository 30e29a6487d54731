from __future__ import annotations

from collections.abc import Callable

from agent.learning.service import LearningService
from memory.preference_index import PrefFilter
from tests.unit.preferences.fakes import json_chat
from tools.context import Viewer

V = Callable[..., Viewer]


def test_a_correction_is_captured_at_once_with_one_line(svc: LearningService, viewer: V) -> None:
    r = svc.correct(viewer(), "no, frame it around cost savings, not velocity")
    assert r.status == "learned" and r.preference is not None
    assert "\n" not in r.confirmation and len(r.confirmation) < 140
    assert "cost savings" in r.confirmation
    assert r.preference.kind == "framing" and r.preference.strength >= 0.99
    assert [p.id for p in svc.relevant(viewer(), "follow-up email")] == [r.preference.id]


def test_repeating_it_strengthens_one_preference(svc: LearningService, viewer: V) -> None:
    first = svc.correct(viewer(), "no exclamation marks")
    second = svc.correct(viewer(), "please drop the exclamation points")
    assert second.status == "strengthened" and second.preference is not None
    assert second.preference.id == first.preference.id  # type: ignore[union-attr]
    assert second.preference.times_seen == 2 and len(second.preference.evidence) == 2
    assert len(svc.list(viewer())) == 1


def test_same_message_id_counts_once(svc: LearningService, viewer: V) -> None:
    svc.correct(viewer(), "keep it short", source_id="m1")
    again = svc.correct(viewer(), "keep it short", source_id="m1")
    assert again.status == "already_known" and again.preference.times_seen == 1  # type: ignore[union-attr]


def test_a_fact_fix_is_not_a_preference(svc: LearningService, viewer: V) -> None:
    r = svc.correct(viewer(), "no, the amount is 50k not 40k")
    assert r.status == "fact_fix" and r.preference is None
    assert svc.list(viewer()) == []


def test_abuse_is_not_stored_but_an_instruction_inside_is(svc: LearningService, viewer: V) -> None:
    r = svc.correct(viewer(), "you are a useless idiot")
    assert r.status == "abusive" and svc.list(viewer()) == []
    r = svc.correct(viewer(), "this is fucking useless, make it shorter")
    assert r.status == "learned" and r.preference is not None
    assert "fucking" not in r.preference.statement and "useless" not in r.preference.statement


def test_contradictory_corrections_in_a_row(svc: LearningService, viewer: V) -> None:
    old = svc.correct(viewer(), "no exclamation marks").preference
    new = svc.correct(viewer(), "actually exclamation marks are fine")
    assert new.status == "learned" and [p.id for p in new.retired] == [old.id]  # type: ignore[union-attr]
    assert "Replaces" in new.confirmation
    retired = svc.store.get("o1", old.id)  # type: ignore[union-attr]
    assert retired is not None and retired.valid_to is not None and not retired.active
    assert retired.retired_by == new.preference.id  # type: ignore[union-attr]
    assert [p.statement for p in svc.list(viewer())] == ["exclamation marks are fine"]
    again = svc.correct(viewer(), "frame it around cost savings, not speed")
    swapped = svc.correct(viewer(), "frame it around speed, not cost savings")
    assert [p.id for p in swapped.retired] == [again.preference.id]  # type: ignore[union-attr]


def test_stop_doing_that_removes_what_was_applied(svc: LearningService, viewer: V) -> None:
    pref = svc.correct(viewer(), "use bullet points for next steps").preference
    assert pref is not None
    applied = [p.id for p in svc.relevant(viewer(), "follow-up email")]
    r = svc.correct(viewer(), "stop doing that", last_applied=applied)
    assert r.status == "removed" and [p.id for p in r.retired] == [pref.id]
    assert svc.relevant(viewer(), "follow-up email") == []
    kept = svc.list(viewer(), include_retired=True)
    assert kept[0].retired_reason == "removed by the rep in chat"
    nothing = svc.correct(viewer(), "stop doing that")
    assert nothing.status == "not_a_preference"


def test_bounds_and_empty(svc: LearningService, viewer: V) -> None:
    assert svc.correct(viewer(), "   ").status == "empty"
    r = svc.correct(viewer(), "shorter " * 1000)
    assert r.status == "too_long" and "1500" in r.confirmation
    assert svc.correct(viewer(), "thanks, looks good").status == "not_a_preference"


def test_llm_reads_what_rules_cannot(svc: LearningService, viewer: V) -> None:
    svc.chat_model = json_chat(
        {
            "kind_of_message": "style_preference",
            "statement": "keep emails under 100 words",
            "kind": "length",
            "polarity": "do",
        },
        {"kind_of_message": "fact_fix", "statement": "", "kind": "other", "polarity": "do"},
    )
    r = svc.correct(viewer(), "my readers are busy, emails must stay under 100 words on phones")
    assert r.source == "llm" and r.preference is not None
    assert r.preference.statement == "keep emails under 100 words" and r.preference.kind == "length"
    r = svc.correct(viewer(), "Dana runs finance at Northwind these days")
    assert r.status == "fact_fix"
    recognised = svc.correct(viewer(), "no buzzwords")
    assert recognised.source == "rules"  # the model is not asked when a rule matched
    assert len(svc.chat_model.prompts) == 2  # type: ignore[union-attr]


def test_without_llm_an_unrecognised_message_is_kept_verbatim(
    svc: LearningService, viewer: V
) -> None:
    r = svc.correct(viewer(), "my readers are busy people on phones")
    assert r.status == "learned" and r.preference is not None
    assert r.preference.statement == "my readers are busy people on phones"
    assert svc.store.count("o1", PrefFilter(user_id="u1")) == 1


def test_an_llm_statement_not_grounded_in_the_message_is_dropped(
    svc: LearningService, viewer: V
) -> None:
    svc.chat_model = json_chat(
        {
            "kind_of_message": "style_preference",
            "statement": "frame value around cost savings, not speed",
            "kind": "framing",
            "polarity": "do",
        },
    )
    r = svc.correct(viewer(), "my buyers read these on their phones, the shorter the better")
    assert r.source == "rules" and r.preference is not None
    assert r.preference.statement == "my buyers read these on their phones, the shorter the better"
    assert r.preference.kind == "length"
