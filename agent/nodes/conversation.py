"""The conversation as the model sees it: one system prompt, recent turns, the current turn.

Router and answer calls build their messages here from the same pieces, so the embedded
model can reuse the cached prefix of the first call in the second.
"""

from __future__ import annotations

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, SystemMessage

from agent.context import AgentContext
from agent.prompts.agent import system_prompt, user_turn
from agent.state import AgentState

MAX_HISTORY_CHARS = 500


def _clip(text: str) -> str:
    return text if len(text) <= MAX_HISTORY_CHARS else text[: MAX_HISTORY_CHARS - 1] + "…"


def past_turns(messages: list[AnyMessage], *, turns: int) -> list[BaseMessage]:
    """Return the last ``turns`` earlier exchanges as (user text, final answer) pairs.

    The current (last) user message is excluded; tool calls and results are left out.
    """
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    answer: str | None = None
    for message in messages[:-1]:
        if isinstance(message, HumanMessage):
            if question is not None and answer is not None:
                pairs.append((question, answer))
            question, answer = message.text, None
        elif isinstance(message, AIMessage) and not message.tool_calls and message.text:
            answer = message.text
    if question is not None and answer is not None:
        pairs.append((question, answer))
    out: list[BaseMessage] = []
    for q, a in pairs[-turns:] if turns > 0 else []:
        out += [HumanMessage(_clip(q)), AIMessage(_clip(a))]
    return out


def system_message(ctx: AgentContext) -> SystemMessage:
    """The system prompt every model call of the turn starts with."""
    viewer = ctx.tools.viewer
    text = system_prompt(
        ctx.static_prompt, user_name=viewer.name, role=viewer.role, today=ctx.tools.now
    )
    return SystemMessage(text)


def base_messages(state: AgentState, ctx: AgentContext) -> list[BaseMessage]:
    """System prompt, recent turns and the current user turn."""
    focus = state.get("focus_deal")
    return [
        system_message(ctx),
        *past_turns(state.get("messages", []), turns=ctx.history_turns),
        HumanMessage(
            user_turn(state.get("request", ""), focus_deal=focus["name"] if focus else None)
        ),
    ]
