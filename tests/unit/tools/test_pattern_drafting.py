"""Cross-deal patterns change the output: score card, lookup, pipeline review and drafts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage

from memory.briefing_store import save_patterns
from memory.db import session_scope
from memory.ingest import ingest
from tests.factories import activity, day
from tests.unit.tools.world import NOW, deal_id
from tools.context import ToolContext
from tools.drafting import has_multithreading
from tools.patterns import deal_patterns_for
from tools.registry import call_tool

STALL_TEXT = (
    "After a buyer touch showing single_threaded, deals went dark 42% of the time (n=55) "
    "vs 12% (n=300); median lead time 18 days."
)


class RecordingChat(GenericFakeChatModel):
    seen: list[list[BaseMessage]] = []

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def _stall(cond: str, text: str) -> dict[str, Any]:
    return {"kind": "stall", "key": f"stall:{cond}", "factors": [[c, "yes"] for c in cond.split("+")],
            "measure": "dark_rate", "n_pattern": 55, "n_rest": 300, "rate_pattern": 0.42,
            "rate_rest": 0.12, "difference": 0.30, "risk_ratio": 3.5, "q_value": 0.001,
            "significant": True, "text": text}  # fmt: skip


def _report(org_id: str = "acme", *extra: dict[str, Any]) -> dict[str, Any]:
    return {"org_id": org_id, "version": f"v-{org_id}", "as_of": "2026-04-01", "closed_deals": 400,
            "win_rate": 0.3, "patterns": [_stall("single_threaded", STALL_TEXT), *extra]}  # fmt: skip


def _save(ctx: ToolContext, report: dict[str, Any]) -> None:
    with session_scope(ctx.engine) as session:
        save_patterns(session, report=report, now=NOW)


def _two_buyers(src: str, at: float) -> dict[str, Any]:
    a = activity("D2", src, at, body="Scoping call with ops and finance.")
    a["participants"].append({"name": "Carl Chen", "side": "buyer", "title": "CFO"})
    return a


def _multithread_d2(ctx: ToolContext) -> None:
    with session_scope(ctx.engine) as session:
        ingest(session, activities=[_two_buyers("D2-kick", 5), _two_buyers("D2-demo", 40)])


NO_NEXT = _stall(
    "no_next_meeting", "After a buyer touch showing no_next_meeting, deals went dark 30%."
)
LACKS = {"kind": "win_rate", "key": "stakeholders_14d=3+", "factors": [["stakeholders_14d", "3+"]],
         "n_pattern": 80, "n_rest": 320, "rate_pattern": 0.55, "rate_rest": 0.24,
         "difference": 0.31, "q_value": 0.002, "significant": True,
         "text": "Deals with stakeholders_14d=3+ win 55% (n=80) vs 24% (n=320) for the rest."}  # fmt: skip


@pytest.mark.parametrize("kind", ["re_engagement_email", "follow_up_email"])
def test_template_draft_for_a_single_threaded_stall_match_asks_to_multithread(
    ctx_for: Callable[..., ToolContext], kind: str
) -> None:
    ctx = ctx_for("r1")
    _save(ctx, _report())
    result = call_tool("draft_content", {"deal": "northwind renewal", "kind": kind}, ctx)
    draft = result.data["draft"]
    assert result.data["source"] == "template" and has_multithreading(draft)
    assert "bring in a colleague who will weigh in on the decision" in draft
    assert draft.index("bring in a colleague") < draft.index("Best,")  # before the sign-off
    assert result.data["patterns"] == ["stall:single_threaded"]
    note = result.data["pattern_note"]
    assert note.startswith("Patterns applied: After a buyer touch showing single_threaded")
    assert '"stall:single_threaded"' in note and note in result.text
    assert result.data["multithreading"]["pattern"] == "stall:single_threaded"


def test_model_draft_without_the_ask_gets_one_sentence_added(
    ctx_for: Callable[..., ToolContext],
) -> None:
    reply = "Subject: Checking in\n\nHi Bea,\n\nAny news on the proposal?\n\nBest,\nRita Reyes"
    model = RecordingChat(messages=iter([AIMessage(reply)]), seen=[])
    ctx = ctx_for("r1", chat_model=model)
    _save(ctx, _report())
    result = call_tool(
        "draft_content", {"deal": "northwind renewal", "kind": "re_engagement_email"}, ctx
    )
    prompt = "\n".join(m.text for m in model.seen[0])
    assert "Required: only one person on the buyer side is engaged" in prompt
    assert f"This deal matches a stall pattern: {STALL_TEXT}" in prompt
    assert "Matches pattern:" not in prompt  # given once, as a pattern, not again as a fact
    draft = result.data["draft"]
    assert result.data["source"] == "model" and has_multithreading(draft)
    assert draft.startswith("Subject: Checking in") and draft.endswith("Best,\nRita Reyes")
    assert "Any news on the proposal?\n\nWould it make sense to bring" in draft
    assert result.data["multithreading"] == {
        "pattern": "stall:single_threaded", "text": STALL_TEXT, "appended": True,
    }  # fmt: skip
    assert "Keel added one sentence" in result.data["pattern_note"]


def test_model_draft_that_already_asks_is_left_alone(ctx_for: Callable[..., ToolContext]) -> None:
    reply = "Subject: Next step\n\nHi Bea,\n\nCould we loop in your CFO for the pricing review?\n\nBest,\nRita"
    model = RecordingChat(messages=iter([AIMessage(reply)]), seen=[])
    ctx = ctx_for("r1", chat_model=model)
    _save(ctx, _report())
    result = call_tool(
        "draft_content", {"deal": "northwind renewal", "kind": "follow_up_email"}, ctx
    )
    assert result.data["draft"] == reply
    assert result.data["multithreading"]["appended"] is False
    assert "Keel added" not in result.data["pattern_note"]


def test_multithreaded_deal_gets_its_stall_pattern_but_no_multithreading_ask(
    ctx_for: Callable[..., ToolContext],
) -> None:
    ctx = ctx_for("r1")
    _save(ctx, _report("acme", NO_NEXT))
    _multithread_d2(ctx)
    result = call_tool(
        "draft_content", {"deal": "northwind expansion", "kind": "re_engagement_email"}, ctx
    )
    assert result.data["patterns"] == ["stall:no_next_meeting"]  # matched, but two buyers engaged
    assert result.data["multithreading"] is None
    assert not has_multithreading(result.data["draft"])
    model = RecordingChat(
        messages=iter([AIMessage("Subject: Hi\n\nHi Bea,\n\nNews?\n\nRita")]), seen=[]
    )
    with_model = call_tool(
        "draft_content",
        {"deal": "northwind expansion", "kind": "re_engagement_email"},
        ctx_for("r1", chat_model=model),
    )
    assert "Required:" not in "\n".join(m.text for m in model.seen[0])
    assert with_model.data["draft"] == "Subject: Hi\n\nHi Bea,\n\nNews?\n\nRita"


def test_another_orgs_pattern_report_is_never_used(ctx_for: Callable[..., ToolContext]) -> None:
    ctx = ctx_for("r1")
    _save(ctx, _report("globex", NO_NEXT, LACKS))
    result = call_tool(
        "draft_content", {"deal": "northwind renewal", "kind": "re_engagement_email"}, ctx
    )
    assert result.data["patterns"] == [] and result.data["multithreading"] is None
    assert not has_multithreading(result.data["draft"])
    assert deal_patterns_for(ctx, deal_id("D1")) == []


def test_deal_patterns_are_matched_as_keel_knew_the_deal(
    ctx_for: Callable[..., ToolContext],
) -> None:
    ctx = ctx_for("r1")
    _save(ctx, _report("acme", LACKS))
    found = deal_patterns_for(ctx, deal_id("D1"))
    assert [(p["key"], p["relation"], p["multithreading"]) for p in found] == [
        ("stall:single_threaded", "stall", True),
        ("stakeholders_14d=3+", "lacks", True),
    ]
    # On day 12 no buyer touch after the first two weeks had happened yet: no stall match.
    early = ctx_for("r1")
    early.now = day(12)
    assert [p["key"] for p in deal_patterns_for(early, deal_id("D1"))] == ["stakeholders_14d=3+"]
    assert deal_patterns_for(ctx, deal_id("D5")) == []  # closed deals carry no open-deal pattern


def test_score_card_and_lookup_show_matched_patterns(ctx_for: Callable[..., ToolContext]) -> None:
    ctx = ctx_for("r1")
    _save(ctx, _report("acme", LACKS))
    score = call_tool("deal_score", {"deal": "northwind renewal"}, ctx)
    assert f"Matches pattern: {STALL_TEXT[:-1]} (42% vs 12%, 55 deals)" in score.text
    assert "Lacks a winning pattern: Deals with stakeholders_14d=3+" in score.text
    assert [p["key"] for p in score.data["patterns"]] == [
        "stall:single_threaded",
        "stakeholders_14d=3+",
    ]
    lookup = call_tool("lookup_deal", {"deal": "northwind renewal"}, ctx)
    assert f"Matches pattern: {STALL_TEXT[:-1]} (42% vs 12%" in lookup.text
    other = call_tool("deal_score", {"deal": "northwind expansion"}, ctx)
    assert "Matches pattern" not in other.text  # no buyer touch after its first two weeks


def test_pipeline_review_flags_deals_matching_stall_patterns(
    ctx_for: Callable[..., ToolContext],
) -> None:
    ctx = ctx_for("r1")
    before = call_tool("review_pipeline", {"focus": "stalled", "owner": ""}, ctx)
    assert [d["name"] for d in before.data["deals"]] == ["Northwind expansion"]  # quiet 45+ days
    _save(ctx, _report())
    after = call_tool("review_pipeline", {"focus": "stalled", "owner": ""}, ctx)
    by_name = {d["name"]: d for d in after.data["deals"]}
    assert sorted(by_name) == ["Northwind expansion", "Northwind renewal"]
    deal = by_name["Northwind renewal"]
    assert [d["name"] for d in after.data["deals"]][0] == "Northwind renewal"  # more value at risk
    assert (
        "matches stall pattern (single threaded: went dark 42% vs 12%, 55 deals)" in deal["flags"]
    )
    assert deal["patterns"][0]["key"] == "stall:single_threaded"
    assert "matches stall pattern" in after.text
    at_risk = call_tool("review_pipeline", {"focus": "at_risk", "owner": ""}, ctx)
    assert "Northwind renewal" in [d["name"] for d in at_risk.data["deals"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Could we bring your CFO into the next call?", True),
        ("Who else should be part of this decision?", True),
        ("Happy to include the economic buyer too.", True),
        ("Would it help to loop in a colleague from finance?", True),
        ("Thanks for the call. Could we agree the next step this week?", False),
        ("I can add a short summary of where we left things.", False),
    ],
)
def test_multithreading_language_is_recognised(text: str, expected: bool) -> None:
    assert has_multithreading(text) is expected


def test_the_ask_names_a_known_contact_who_has_not_engaged_yet(
    ctx_for: Callable[..., ToolContext],
) -> None:
    ctx = ctx_for("r1")
    _save(ctx, _report())
    email = activity("D1", "D1-out", 98, body="Pricing", kind="email", direction="outbound")
    email["participants"] = [{"name": "Carl Chen", "side": "buyer", "title": "CFO"}]
    with session_scope(ctx.engine) as session:
        ingest(session, activities=[email])  # emailed, never answered: not engaged
    model = RecordingChat(
        messages=iter([AIMessage("Subject: Hi\n\nHi Bea,\n\nNews?\n\nBest,\nRita")]), seen=[]
    )
    result = call_tool(
        "draft_content",
        {"deal": "northwind renewal", "kind": "re_engagement_email"},
        ctx_for("r1", chat_model=model),
    )
    assert "for example Carl Chen (CFO)." in "\n".join(m.text for m in model.seen[0])
    assert "bring Carl Chen (CFO) into our next conversation" in result.data["draft"]
    assert result.data["multithreading"]["appended"] is True
