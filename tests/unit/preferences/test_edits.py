from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from agent.learning.edit_diff import EditTooLargeError, analyse_edit
from agent.learning.service import LearningService
from agent.learning.settings import LearningSettings
from tests.unit.preferences.fakes import json_chat
from tools.context import Viewer

V = Callable[..., Viewer]

DRAFT = """Hi Sam,

Thanks for the time today! Great to see Acme moving on the Fleet deal.
Routing this way would cut your fuel costs, a real game-changer for the team!
As next steps, we will confirm the pilot depots, book the technical review and share pricing.

Best,
Olli Virtanen
Account Executive | Keelson"""

EDITED = """Hi Sam,

Thanks for the time today. Great to see Acme moving on the Fleet deal.
Routing this way would cut your fuel costs for the team.
As next steps, we will confirm the pilot depots, book the technical review and share pricing.

Best,
Olli"""


def _statements(report: object) -> set[str]:
    return {p.statement for p in report.preferences}  # type: ignore[attr-defined]


def test_detectors_read_the_diff() -> None:
    a = analyse_edit(DRAFT, EDITED, LearningSettings())
    got = {o.statement for o in a.observations}
    assert "no exclamation marks" in got and "sign off with first name only" in got
    assert "avoid 'a real game-changer'" in got
    assert not any("Virtanen" in g for g in got)
    assert a.fact_changes == []


def test_one_edit_is_weak_and_the_same_edit_in_three_drafts_is_strong(
    svc: LearningService, viewer: V
) -> None:
    first = svc.learn_edit(viewer(), DRAFT, EDITED, document_id="d1")
    assert first.status == "learned" and first.applied_now == []
    assert svc.relevant(viewer(), "follow-up email") == []
    again = svc.learn_edit(viewer(), DRAFT, EDITED, document_id="d1")
    assert all(p.times_seen == 1 for p in again.preferences)  # same document counts once
    svc.learn_edit(
        viewer(),
        DRAFT.replace("Acme", "Globex"),
        EDITED.replace("Acme", "Globex"),
        document_id="d2",
    )
    third = svc.learn_edit(
        viewer(),
        DRAFT.replace("Acme", "Initech"),
        EDITED.replace("Acme", "Initech"),
        document_id="d3",
    )
    assert {"no exclamation marks", "sign off with first name only"} <= {
        p.statement for p in third.applied_now
    }
    applied = {p.statement for p in svc.relevant(viewer(), "follow-up email")}
    assert "no exclamation marks" in applied


def test_fact_only_edits_teach_nothing(svc: LearningService, viewer: V) -> None:
    draft = "Hi Sam,\n\nThe quote is $40,000 for 120 vehicles, starting March 3.\n\nBest,\nOlli"
    edited = "Hi Sam,\n\nThe quote is $45,000 for 140 vehicles, starting April 7.\n\nBest,\nOlli"
    r = svc.learn_edit(viewer(), draft, edited, document_id="d1")
    assert r.status == "fact_only" and r.preferences == []
    assert len(r.fact_changes) >= 2 and svc.list(viewer()) == []
    names = svc.learn_edit(
        viewer(), "Hi Marie,\n\nSee you.", "Hi Maria,\n\nSee you.", document_id="d2"
    )
    assert names.status == "fact_only"


def test_a_10k_line_diff_is_refused_fast_with_a_clear_message(
    svc: LearningService, viewer: V
) -> None:
    huge = "\n".join(f"line {i} of a pasted log" for i in range(10_000))
    started = time.perf_counter()
    with pytest.raises(
        EditTooLargeError, match="10,000 lines; Keel learns from drafts of at most 400"
    ):
        svc.learn_edit(viewer(), DRAFT, huge, document_id="big")
    assert time.perf_counter() - started < 0.5
    assert svc.list(viewer(), include_retired=True) == []


def test_unchanged_draft(svc: LearningService, viewer: V) -> None:
    assert svc.learn_edit(viewer(), DRAFT, DRAFT + "\n", document_id="d").status == "no_change"


def test_llm_only_for_edits_no_detector_reads_and_quotes_are_checked(
    svc: LearningService, viewer: V
) -> None:
    svc.chat_model = json_chat(
        {
            "preferences": [
                {
                    "statement": "open with a question",
                    "kind": "structure",
                    "quote": "Quick question",
                },
                {"statement": "invented", "kind": "tone", "quote": "never written"},
            ]
        }
    )
    draft = "Hi Sam,\n\nI hope this email finds you well and that the week has been good to you so far.\n\nBest,\nOlli"
    edited = "Hi Sam,\n\nQuick question before Friday about the depot pilot scope and who signs off.\n\nBest,\nOlli"
    r = svc.learn_edit(viewer(), draft, edited, document_id="d9")
    assert [p.statement for p in r.preferences] == ["open with a question"]
