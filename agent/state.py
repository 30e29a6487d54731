"""The chat graph's state: the conversation plus what the current turn decided and found.

Everything here is checkpointed per thread, so it holds only plain JSON-ready values.
``focus_deal`` and ``pending`` carry context across turns ("what's its score?", "the second
one"); the other per-turn keys are reset by the guard at the start of every turn.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class FocusDeal(TypedDict):
    """The deal under discussion."""

    deal_id: str
    name: str


class Pending(TypedDict):
    """A tool call waiting for the user to pick one of several matching deals."""

    tool: str
    args: dict[str, str]
    candidates: list[dict[str, Any]]


class AgentState(TypedDict, total=False):
    """State of one conversation thread.

    Attributes:
        messages: The conversation (user turns, tool calls and results, answers).
        request: The current user message, validated.
        route: The routing decision of this turn: ``{"tool": name, "args": {...}}``.
        result: The tool result of this turn (``ToolResult.as_dict()``).
        reply: The final answer of this turn.
        turn_tools: Tool calls of this turn, for display: name, args, status, text, ms.
        focus_deal: The deal under discussion, carried across turns.
        pending: An ambiguous deal reference awaiting the user's choice.
    """

    messages: Annotated[list[AnyMessage], add_messages]
    request: str
    route: dict[str, Any] | None
    result: dict[str, Any] | None
    reply: str | None
    turn_tools: list[dict[str, Any]]
    focus_deal: FocusDeal | None
    pending: Pending | None
