from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from langchain_core.messages import AIMessage, HumanMessage

from agent.learning.service import LearningService
from agent.learning.settings import LearningSettings
from agent.learning.threads import due_for_analysis
from tests.unit.preferences.conftest import T0
from tests.unit.preferences.test_edits import DRAFT, EDITED
from tools.context import Viewer

V = Callable[..., Viewer]


def test_due_after_idle_or_end() -> None:
    s = LearningSettings(thread_idle_minutes=30)
    assert not due_for_analysis(T0, T0 + timedelta(minutes=10), s)
    assert due_for_analysis(T0, T0 + timedelta(minutes=31), s)
    assert due_for_analysis(T0, T0, s, ended=True)


def test_thread_signals_are_weak_repeats_add_up_and_reruns_are_idempotent(
    svc: LearningService, viewer: V
) -> None:
    msgs = [
        HumanMessage("draft a follow-up for Acme"),
        AIMessage("Here is a draft ... Great call today!"),
        HumanMessage("keep it short"),
        AIMessage("Shorter version ..."),
        HumanMessage("draft one for Globex too"),
        AIMessage("Here is a long draft ..."),
        HumanMessage("shorter please"),
        AIMessage("Done."),
    ]
    r = svc.analyse_thread(viewer(), "t1", msgs)
    assert r.corrections == 2 and r.repeated == 1
    assert len({p.id for p in r.learned}) == 1
    pref = svc.list(viewer())[0]
    assert pref.times_seen == 2 and abs(pref.strength - 0.7) < 1e-6  # two weak signals
    again = svc.analyse_thread(viewer(), "t1", msgs)
    assert svc.list(viewer())[0].times_seen == 2 and again.corrections == 2


def test_live_captured_corrections_are_not_counted_twice(svc: LearningService, viewer: V) -> None:
    svc.correct(viewer(), "no exclamation marks")
    msgs = [
        {"role": "user", "content": "draft it"},
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": "no exclamation marks"},
    ]
    r = svc.analyse_thread(viewer(), "t2", msgs)
    assert r.already_captured == 1 and svc.list(viewer())[0].times_seen == 1


def test_fact_fixes_and_pleasantries_are_not_learned(svc: LearningService, viewer: V) -> None:
    msgs = [
        {"role": "assistant", "content": "Draft ..."},
        {"role": "user", "content": "the amount is 50k not 40k"},
        {"role": "assistant", "content": "Fixed."},
        {"role": "user", "content": "thanks!"},
    ]
    r = svc.analyse_thread(viewer(), "t3", msgs)
    assert r.corrections == 0 and svc.list(viewer()) == []


def test_acceptance_reinforces_applied_preferences(svc: LearningService, viewer: V) -> None:
    pref = svc.correct(viewer(), "use bullet points for next steps").preference
    assert pref is not None
    msgs = [
        {"role": "assistant", "content": "Draft ...", "applied_preferences": [pref.id]},
        {"role": "user", "content": "perfect, thanks"},
    ]
    r = svc.analyse_thread(viewer(), "t4", msgs)
    assert r.accepted == 1 and svc.show(viewer(), pref.id).times_seen == 2


def test_a_pasted_back_edit_goes_to_edit_tracking(svc: LearningService, viewer: V) -> None:
    msgs = [
        {"role": "user", "content": "draft the Acme follow-up"},
        {"role": "assistant", "content": DRAFT},
        {"role": "user", "content": EDITED},
    ]
    r = svc.analyse_thread(viewer(), "t5", msgs)
    assert r.edits == 1 and "no exclamation marks" in {p.statement for p in r.learned}
    assert all(e.channel == "edit" for p in svc.list(viewer()) for e in p.evidence)
