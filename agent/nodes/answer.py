"""Answer the user: from a tool's facts (model, streamed), or in fixed words.

Fixed words answer empty input, refusals, clarifications, not-found results and drafts.

Fixed words are used wherever a model could only add risk: a not-found or ambiguous result
is shown exactly as the tool phrased it, so nothing about deals outside the user's access
can leak through a paraphrase.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.nodes.conversation import base_messages
from agent.nodes.router import FAILED
from agent.prompts.agent import (
    DIRECT,
    REFUSAL,
    REFUSE,
    ROUTE_FAILED,
    direct_turn,
    result_turn,
)
from agent.state import AgentState
from tools.results import ToolResult

logger = logging.getLogger(__name__)

MODEL_ANSWERED = {
    "lookup_deal",
    "deal_score",
    "deal_changes",
    "pipeline_snapshot",
    "review_pipeline",
}
DIRECT_FALLBACK = (
    "I'm Keel. Ask me about a deal (status, score, what changed), your pipeline (at risk, "
    "slipped, at quarter start), or for a draft (follow-up, re-engagement, action plan, call prep)."
)


def _speak(runtime: Runtime[AgentContext], messages: list[Any], fallback: str) -> str:
    ctx = runtime.context
    if ctx.model is None:
        return fallback
    model = ctx.model.bind(max_tokens=ctx.answer_max_tokens).with_config(tags=["keel:answer"])
    try:
        reply = model.invoke(messages)
    except (OutputParserException, ValueError, RuntimeError) as exc:
        logger.warning("answer failed, using the tool's own words: %s", exc)
        return fallback
    return str(reply.text).strip() or fallback


def _draft_reply(result: ToolResult) -> str:
    data = result.data
    return (
        f"Here is a {data.get('title', 'draft')} for {result.deal_name}:\n\n{data.get('draft', '')}\n\n"
        f"{data.get('preference_note', '')} {data.get('pattern_note', '')}".strip()
    )


def answer(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Answer from this turn's tool result."""
    result = ToolResult.from_dict(
        state.get("result") or {"tool": "", "status": "error", "text": ""}
    )
    if not result.ok or result.tool not in MODEL_ANSWERED:
        text = _draft_reply(result) if result.ok and result.tool == "draft_content" else result.text
    else:
        decision = state.get("route") or {}
        messages = base_messages(state, runtime.context) + [
            AIMessage(str(decision.get("raw") or json.dumps({"tool": result.tool}))),
            HumanMessage(result_turn(result.tool, result.text)),
        ]
        text = _speak(runtime, messages, result.text)
    return {"reply": text, "messages": [AIMessage(content=text)]}


def respond(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Answer without a tool: the guard's reply, a refusal, or a direct model answer."""
    text = state.get("reply")
    if not text:
        tool = (state.get("route") or {}).get("tool")
        if tool == REFUSE:
            text = REFUSAL
        elif tool == FAILED:
            text = ROUTE_FAILED
        elif tool == DIRECT:
            messages = base_messages(state, runtime.context) + [
                AIMessage(json.dumps({"tool": DIRECT})),
                HumanMessage(direct_turn()),
            ]
            text = _speak(runtime, messages, DIRECT_FALLBACK)
        else:
            text = ROUTE_FAILED
    return {"reply": text, "messages": [AIMessage(content=text)]}
