"""Run the chosen tool for the signed-in user and record the call in the conversation.

The call is executed directly from the routing decision (no second model call); it is still
recorded as an assistant tool call plus a tool message, so the answer step and later turns
see it the way chat models expect. Tool start and end are also emitted on LangGraph's
custom stream, so a chat UI can show each call as a step while it runs.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.nodes.conversation import system_message
from agent.state import AgentState
from tools.registry import call_tool


def act(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Execute the routed tool; update the deal under discussion or the pending choice."""
    decision = state.get("route") or {}
    name = str(decision.get("tool", ""))
    args = dict(decision.get("args") or {})
    call_id = f"call_{uuid.uuid4().hex[:16]}"
    write = get_stream_writer()
    write({"event": "tool_start", "id": call_id, "name": name, "args": args})
    started = time.perf_counter()
    tools = replace(
        runtime.context.tools,
        request=state.get("request", ""),
        system_prompt=system_message(runtime.context).text,
    )
    result = call_tool(name, args, tools)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    record = {
        "id": call_id,
        "name": name,
        "args": args,
        "status": result.status,
        "text": result.text,
        "data": result.data,
        "deal_id": result.deal_id,
        "deal_name": result.deal_name,
        "ms": elapsed_ms,
    }
    write({"event": "tool_end", **record})
    update: dict[str, Any] = {
        "messages": [
            AIMessage(content="", tool_calls=[{"id": call_id, "name": name, "args": args}]),
            ToolMessage(content=result.text, tool_call_id=call_id, name=name),
        ],
        "result": result.as_dict(),
        "turn_tools": [*state.get("turn_tools", []), record],
        "pending": None,
    }
    if result.deal_id and result.deal_name:
        update["focus_deal"] = {"deal_id": result.deal_id, "name": result.deal_name}
    if result.status == "ambiguous" and result.candidates:
        update["pending"] = {"tool": name, "args": args, "candidates": result.candidates}
    return update
