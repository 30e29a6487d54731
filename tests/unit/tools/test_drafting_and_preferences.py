from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage

from agent.feedback import StoreFeedback
from memory.db import session_scope
from memory.feedback_store import create_feedback_tables, list_feedback
from tools.context import Preference, ToolContext, Viewer
from tools.registry import call_tool


class RecordingChat(GenericFakeChatModel):
    seen: list[list[BaseMessage]] = []

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


class Prefs:
    def __init__(self) -> None:
        self.items = [
            Preference("p1", "Frame value around cost savings, not speed", "user", "framing", 3),
            Preference("p2", "Keep subject lines under six words", "org", "structure", 5),
        ]

    def list_for(self, viewer: Viewer) -> list[Preference]:
        return list(self.items)

    def relevant_for(self, viewer: Viewer, text: str, *, limit: int = 5) -> list[Preference]:
        return self.items[:limit]

    def edit(self, viewer: Viewer, preference_id: str, statement: str) -> Preference | None:
        for i, p in enumerate(self.items):
            if p.id == preference_id and p.scope == "user":
                self.items[i] = Preference(p.id, statement, p.scope, p.kind, p.seen)
                return self.items[i]
        return None

    def delete(self, viewer: Viewer, preference_id: str) -> bool:
        before = len(self.items)
        self.items = [p for p in self.items if p.id != preference_id]
        return len(self.items) < before


def test_template_draft_without_a_model_is_grounded(ctx_for: Callable[..., ToolContext]) -> None:
    result = call_tool(
        "draft_content", {"deal": "northwind renewal", "kind": "follow_up_email"}, ctx_for("r1")
    )
    draft = result.data["draft"]
    assert result.status == "ok" and result.data["source"] == "template"
    assert (
        draft.startswith("Subject: Northwind Traders")
        and "Hi Bea" in draft
        and "2026-05-01" in draft
    )
    assert "not available yet" in result.data["preference_note"]


def test_model_draft_gets_facts_preferences_and_the_request(
    ctx_for: Callable[..., ToolContext],
) -> None:
    model = RecordingChat(messages=iter([AIMessage("Subject: Next steps\n\nHi Bea, ...")]), seen=[])
    ctx = ctx_for(
        "r1",
        chat_model=model,
        preferences=Prefs(),
        request="draft a MAP for northwind, mention the pilot",
    )
    result = call_tool(
        "draft_content", {"deal": "northwind renewal", "kind": "mutual_action_plan"}, ctx
    )
    prompt = "\n".join(m.text for m in model.seen[0])
    assert result.status == "ok" and result.data["draft"].startswith("Subject: Next steps")
    assert (
        "Amount: $135,000" in prompt
        and "Close date: 2026-05-01" in prompt
        and "Bea Buyer" in prompt
    )
    assert "cost savings" in prompt and "mention the pilot" in prompt and "numbered list" in prompt
    assert (
        result.data["preference_note"].startswith("Applied preferences:")
        and "six words" in result.text
    )


def test_draft_for_a_deal_out_of_scope_is_not_written(ctx_for: Callable[..., ToolContext]) -> None:
    model = RecordingChat(messages=iter([AIMessage("never")]), seen=[])
    result = call_tool(
        "draft_content",
        {"deal": "Globex platform", "kind": "call_prep"},
        ctx_for("r1", chat_model=model),
    )
    assert result.status == "not_found" and model.seen == []


def test_preferences_list_edit_delete(ctx_for: Callable[..., ToolContext]) -> None:
    prefs = Prefs()
    ctx = ctx_for("r1", preferences=prefs)
    listed = call_tool("manage_preferences", {"action": "list", "preference": "", "text": ""}, ctx)
    assert (
        "1. Frame value around cost savings" in listed.text
        and "2. Keep subject lines" in listed.text
    )
    edited = call_tool(
        "manage_preferences", {"action": "edit", "preference": "1", "text": "Lead with ROI"}, ctx
    )
    assert edited.status == "ok" and prefs.items[0].statement == "Lead with ROI"
    refused = call_tool(
        "manage_preferences", {"action": "edit", "preference": "subject lines", "text": "x"}, ctx
    )
    assert refused.status == "refused"  # an org preference is not the rep's to edit
    deleted = call_tool(
        "manage_preferences", {"action": "delete", "preference": "subject lines", "text": ""}, ctx
    )
    assert deleted.status == "ok" and [p.id for p in prefs.items] == ["p1"]
    missing = call_tool(
        "manage_preferences", {"action": "delete", "preference": "emoji", "text": ""}, ctx
    )
    assert missing.status == "not_found"


def test_preferences_say_plainly_when_the_store_is_missing(
    ctx_for: Callable[..., ToolContext],
) -> None:
    result = call_tool(
        "manage_preferences", {"action": "list", "preference": "", "text": ""}, ctx_for("r1")
    )
    assert result.status == "unavailable" and "not available" in result.text


def test_corrections_are_stored_for_the_learning_loop(ctx_for: Callable[..., ToolContext]) -> None:
    base = ctx_for("r1")
    create_feedback_tables(base.engine)
    ctx = ctx_for("r1", feedback=StoreFeedback(base.engine), thread_id="th1")
    result = call_tool(
        "record_correction", {"text": "frame it around cost savings, not speed"}, ctx
    )
    assert result.status == "ok" and result.data["feedback_id"]
    with session_scope(base.engine) as session:
        [row] = list_feedback(session, org_id="acme", user_id="r1")
    assert (row.kind, row.text, row.thread_id) == (
        "correction",
        "frame it around cost savings, not speed",
        "th1",
    )
    assert call_tool("record_correction", {"text": "   "}, ctx).status == "missing_input"
    assert call_tool("record_correction", {"text": "x"}, ctx_for("r1")).status == "unavailable"
