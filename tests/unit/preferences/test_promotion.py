from __future__ import annotations

from collections.abc import Callable

import pytest

from agent.learning.adapters import ToolFeedback, ToolPreferences
from agent.learning.service import LearningService, PreferenceAccessError
from agent.learning.settings import LearningSettings
from memory.preference_index import PrefFilter
from tools.context import Viewer

V = Callable[..., Viewer]
SAYINGS = [
    "no exclamation marks",
    "drop the exclamation points",
    "please don't use exclamation marks",
    "lose the exclamation marks",
]


def _org(svc: LearningService) -> list:  # type: ignore[type-arg]
    return svc.store.list("o1", PrefFilter(scope="org"))


def test_promotion_needs_k_distinct_reps(svc: LearningService, viewer: V) -> None:
    svc.correct(viewer("u1"), SAYINGS[0])
    svc.correct(viewer("u1"), SAYINGS[1])  # the same rep twice is still one rep
    r = svc.correct(viewer("u2"), SAYINGS[2])
    assert r.promoted is None and _org(svc) == []
    r = svc.correct(viewer("u3"), SAYINGS[3])
    assert r.promoted is not None and r.promoted.scope == "org"
    org = _org(svc)
    assert len(org) == 1 and org[0].holders == ["u1", "u2", "u3"]
    assert {e.channel for e in org[0].evidence} == {"promotion"} and len(org[0].members) == 3
    # a fourth rep joins the same org preference, no duplicate
    svc.correct(viewer("u4"), "no exclamation marks please")
    org = _org(svc)
    assert len(org) == 1 and "u4" in org[0].holders
    # a brand-new rep gets it from day one
    fresh = svc.relevant(viewer("new"), "follow-up email")
    assert [p.id for p in fresh] == [org[0].id]


def test_k_is_configurable(store, viewer: V) -> None:  # type: ignore[no-untyped-def]
    svc = LearningService(store, LearningSettings(promotion_min_reps=4))
    for i, text in enumerate(SAYINGS[:3]):
        svc.correct(viewer(f"u{i}"), text)
    assert _org(svc) == []
    svc.correct(viewer("u9"), SAYINGS[3])
    assert len(_org(svc)) == 1


def test_different_preferences_do_not_promote(svc: LearningService, viewer: V) -> None:
    for user, text in [
        ("u1", "no exclamation marks"),
        ("u2", "avoid buzzwords"),
        ("u3", "keep it short"),
    ]:
        svc.correct(viewer(user), text)
    assert _org(svc) == []


def test_weak_edit_evidence_does_not_promote(svc: LearningService, viewer: V) -> None:
    from tests.unit.preferences.test_edits import DRAFT, EDITED

    for user in ("u1", "u2", "u3"):
        svc.learn_edit(viewer(user), DRAFT, EDITED, document_id=f"{user}-d1")
    assert _org(svc) == []


def test_managers_see_edit_and_retire_org_preferences_reps_do_not(
    svc: LearningService, viewer: V
) -> None:
    for i, text in enumerate(SAYINGS[:3]):
        svc.correct(viewer(f"u{i}"), text)
    org_pref = _org(svc)[0]
    rep, boss = viewer("u7"), viewer("m1", role="manager")
    with pytest.raises(PreferenceAccessError):
        svc.edit(rep, org_pref.id, "anything")
    with pytest.raises(PreferenceAccessError):
        svc.retire(rep, org_pref.id)
    edited = svc.edit(boss, org_pref.id, "never use exclamation marks in customer emails")
    assert edited.edited_by == "m1" and edited.evidence[-1].quote.startswith("was: ")
    assert svc.show(rep, org_pref.id).statement == "never use exclamation marks in customer emails"
    retired = svc.retire(boss, org_pref.id, reason="brand guide changed")
    assert not retired.active and retired.retired_reason == "brand guide changed"
    assert svc.relevant(viewer("new"), "email") == []


def test_a_rep_cannot_read_another_reps_preferences(svc: LearningService, viewer: V) -> None:
    p = svc.correct(viewer("u1"), "keep it short").preference
    assert p is not None
    with pytest.raises(PreferenceAccessError):
        svc.show(viewer("u2"), p.id)
    with pytest.raises(PreferenceAccessError):
        svc.list(viewer("u2"), user_id="u1")
    assert [q.id for q in svc.list(viewer("m1", role="manager"), user_id="u1")] == [p.id]


def test_a_rep_opts_out_of_an_org_preference(svc: LearningService, viewer: V) -> None:
    for i, text in enumerate(SAYINGS[:3]):
        svc.correct(viewer(f"u{i}"), text)
    org_pref = _org(svc)[0]
    tools = ToolPreferences(svc)
    assert tools.delete(viewer("u8"), org_pref.id) is True
    assert svc.relevant(viewer("u8"), "email") == []
    assert [p.id for p in svc.relevant(viewer("u9"), "email")] == [org_pref.id]
    assert svc.show(viewer("u9"), org_pref.id).active


def test_own_contradiction_beats_the_org(svc: LearningService, viewer: V) -> None:
    for i, text in enumerate(SAYINGS[:3]):
        svc.correct(viewer(f"u{i}"), text)
    r = svc.correct(viewer("u5"), "exclamation marks are fine")
    assert r.preference is not None
    assert [p.id for p in svc.relevant(viewer("u5"), "email")] == [r.preference.id]


def test_sweep_retires_org_preferences_whose_support_fell(svc: LearningService, viewer: V) -> None:
    ids = [svc.correct(viewer(f"u{i}"), t).preference.id for i, t in enumerate(SAYINGS[:3])]  # type: ignore[union-attr]
    svc.retire(viewer("u0"), ids[0])
    report = svc.promote(viewer("m1", role="manager"))
    assert len(report.retired) == 1 and "below 3" in (report.retired[0].retired_reason or "")
    with pytest.raises(PreferenceAccessError):
        svc.promote(viewer("u1"))


def test_tool_adapters(svc: LearningService, viewer: V) -> None:
    sink, source = ToolFeedback(svc), ToolPreferences(svc)
    pid = sink.record(viewer(), kind="correction", text="keep emails under 120 words")
    assert pid and sink.last.status == "learned"
    assert [p.id for p in source.list_for(viewer())] == [pid]
    found = source.relevant_for(viewer(), "follow-up email")
    assert [p.id for p in found] == [pid] and svc.show(viewer(), pid).applied_count == 1
    assert source.edit(viewer("u2"), pid, "x") is None
    assert (
        source.edit(viewer(), pid, "keep emails under 100 words").statement
        == "keep emails under 100 words"
    )  # type: ignore[union-attr]
    assert (
        sink.record(viewer(), kind="edit", text="", payload={"draft": "a", "edited": "b\n" * 5000})
        == ""
    )
    assert source.delete(viewer(), pid) is True and source.list_for(viewer()) == []
