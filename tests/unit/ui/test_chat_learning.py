from __future__ import annotations

from collections.abc import Iterator

import pytest
from qdrant_client import QdrantClient
from sqlalchemy.engine import Engine

from agent.feedback import StoreFeedback
from agent.learning.service import LearningService
from memory.db import create_schema, make_engine, session_scope
from memory.embeddings import HashingEmbedder
from memory.feedback_store import create_feedback_tables, list_feedback
from memory.preferences import PreferenceStore
from tests.unit.tools.world import NOW, ORG, seed
from tools.access import load_viewer
from tools.context import ToolContext
from tools.registry import call_tool
from ui.chat_learning import LazyLearning


@pytest.fixture
def engine() -> Iterator[Engine]:
    e = make_engine("sqlite://")
    create_schema(e)
    create_feedback_tables(e)
    seed(e)
    yield e
    e.dispose()


def _ctx(engine: Engine, learning: LazyLearning) -> ToolContext:
    with session_scope(engine) as session:
        viewer = load_viewer(session, org_id=ORG, user_id="r1")
    sink = StoreFeedback(engine, learner=learning)
    return ToolContext(
        engine=engine, viewer=viewer, now=NOW, preferences=learning, feedback=sink, thread_id="t"
    )


def test_correction_is_learned_listed_and_applied_to_drafts(engine: Engine) -> None:
    built: list[int] = []

    def build() -> LearningService:
        built.append(1)
        return LearningService(
            PreferenceStore(QdrantClient(":memory:"), HashingEmbedder()), clock=lambda: NOW
        )

    learning = LazyLearning(build)
    ctx = _ctx(engine, learning)
    assert built == []  # nothing is opened until a preference is needed
    said = call_tool(
        "record_correction", {"text": "from now on frame value around cost savings, not speed"}, ctx
    )
    assert said.status == "ok" and built == [1]
    listed = call_tool("manage_preferences", {"action": "list", "preference": "", "text": ""}, ctx)
    assert listed.status == "ok" and "cost savings" in listed.text.lower()
    draft = call_tool(
        "draft_content", {"deal": "northwind renewal", "kind": "follow_up_email"}, ctx
    )
    assert "cost savings" in draft.data["preference_note"].lower()
    with session_scope(engine) as session:
        assert [r.kind for r in list_feedback(session, org_id=ORG)] == ["correction"]


def test_broken_store_is_reported_as_unavailable(engine: Engine) -> None:
    def build() -> LearningService:
        raise RuntimeError("qdrant folder locked by another process")

    ctx = _ctx(engine, LazyLearning(build))
    listed = call_tool("manage_preferences", {"action": "list", "preference": "", "text": ""}, ctx)
    assert listed.status == "unavailable" and "locked" in listed.text
    draft = call_tool("draft_content", {"deal": "northwind renewal", "kind": "call_prep"}, ctx)
    assert draft.status == "ok" and "unavailable right now" in draft.data["preference_note"]
    noted = call_tool("record_correction", {"text": "keep it short"}, ctx)
    assert noted.status == "ok"  # stored in Keel's table even though nothing could learn from it
