"""Run one chat turn through the compiled graph: collected (CLI, evals) or streamed (chat UI).

Both paths report the same things: the answer, each tool call with its inputs and result,
and timings (total, and first streamed answer token when a model streamed one).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.runnables import RunnableConfig

from agent.context import AgentContext

STREAMED_TAGS = frozenset({"keel:answer", "keel:draft"})
"""Model calls whose tokens are shown to the user as they arrive (routing is not)."""


@dataclass
class TurnEvent:
    """One thing that happened during a streamed turn.

    Attributes:
        kind: ``token`` (text of the answer or a draft), ``tool_start``, ``tool_end`` or ``done``.
        text: The token text (``token``) or the final answer (``done``).
        source: For tokens: ``"answer"`` or ``"draft"``.
        tool: For tool events: the call record (id, name, args; plus status, text, data, ms at end).
        turn: For ``done``: the whole :class:`TurnResult`.
    """

    kind: Literal["token", "tool_start", "tool_end", "done"]
    text: str = ""
    source: str = ""
    tool: dict[str, Any] = field(default_factory=dict)
    turn: TurnResult | None = None


@dataclass
class TurnResult:
    """The outcome of one turn."""

    thread_id: str
    answer: str
    tool_calls: list[dict[str, Any]]
    route: dict[str, Any] | None
    focus_deal: dict[str, Any] | None
    total_ms: float
    first_token_ms: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


def thread_config(thread_id: str) -> RunnableConfig:
    """LangGraph config selecting a conversation thread."""
    return {"configurable": {"thread_id": thread_id}}


def _token(payload: Any) -> tuple[str, str] | None:
    chunk, meta = payload
    tags = set(meta.get("tags") or [])
    if not isinstance(chunk, AIMessageChunk) or not tags & STREAMED_TAGS or not chunk.text:
        return None
    return chunk.text, "draft" if "keel:draft" in tags else "answer"


def _from_values(
    values: dict[str, Any], thread_id: str, started: float, first: float | None
) -> TurnResult:
    return TurnResult(
        thread_id=thread_id,
        answer=str(values.get("reply") or ""),
        tool_calls=list(values.get("turn_tools") or []),
        route=values.get("route"),
        focus_deal=dict(values["focus_deal"]) if values.get("focus_deal") else None,
        total_ms=round((time.perf_counter() - started) * 1000, 1),
        first_token_ms=None if first is None else round((first - started) * 1000, 1),
    )


def run_turn(graph: Any, *, message: str, context: AgentContext, thread_id: str) -> TurnResult:
    """Run one turn to completion and return its answer, tool calls and timings."""
    started = time.perf_counter()
    first: float | None = None
    for mode, payload in graph.stream(
        {"messages": [HumanMessage(message)]},
        thread_config(thread_id),
        context=context,
        stream_mode=["messages"],
    ):
        if mode == "messages" and first is None and _token(payload) is not None:
            first = time.perf_counter()
    values = graph.get_state(thread_config(thread_id)).values
    return _from_values(values, thread_id, started, first)


async def astream_turn(
    graph: Any, *, message: str, context: AgentContext, thread_id: str
) -> AsyncIterator[TurnEvent]:
    """Run one turn, yielding answer tokens and tool start/end events as they happen."""
    started = time.perf_counter()
    first: float | None = None
    async for mode, payload in graph.astream(
        {"messages": [HumanMessage(message)]},
        thread_config(thread_id),
        context=context,
        stream_mode=["messages", "custom"],
    ):
        if (
            mode == "custom"
            and isinstance(payload, dict)
            and payload.get("event") in ("tool_start", "tool_end")
        ):
            yield TurnEvent(
                kind=payload["event"], tool={k: v for k, v in payload.items() if k != "event"}
            )
        elif mode == "messages":
            token = _token(payload)
            if token is not None:
                first = first or time.perf_counter()
                yield TurnEvent(kind="token", text=token[0], source=token[1])
    snapshot = await graph.aget_state(thread_config(thread_id))
    turn = _from_values(snapshot.values, thread_id, started, first)
    yield TurnEvent(kind="done", text=turn.answer, turn=turn)
