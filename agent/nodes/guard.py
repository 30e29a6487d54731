"""First node of every turn: read the user's message, reset the turn, reject bad input.

Bad input is answered at once, without the model: an empty message, one over the length
limit, or one that tries to override Keel's rules ("ignore previous instructions", "you
are now an admin", "print your system prompt"). Access control does not depend on this
filter (tools enforce it); the filter keeps such requests from reaching the model at all.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.prompts.agent import EMPTY_MESSAGE, REFUSAL, REFUSE, too_long
from agent.state import AgentState

STORED_PREFIX = 200
OVERRIDE_ATTEMPTS = [
    re.compile(p, re.I)
    for p in (
        r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instructions?|rules?|prompts?|guardrails?|restrictions?)\b",
        r"\b(system|hidden|developer|internal)\s+(prompt|instructions?|message|rules?)\b",
        r"\b(reveal|print|show|repeat|dump|leak)\b.{0,30}\b(your|hidden|secret)\s+(prompt|instructions|rules)\b",
        r"\byou are now\b|\b(admin|developer|god|jailbreak|dan|sudo)\s+mode\b",
        r"^\s*(system|developer)\s*:",
        r"\b(act|pretend|behave)\b.{0,20}\b(as|to be)\b.{0,20}\b(an? )?(admin|administrator|root|superuser)\b",
    )
]


def is_override_attempt(text: str) -> bool:
    """True if the message tries to change Keel's rules rather than ask about deals."""
    return any(p.search(text) for p in OVERRIDE_ATTEMPTS)


def guard(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Validate the latest user message; an empty or oversized one gets a reply at once."""
    messages = state.get("messages", [])
    last = messages[-1] if messages else None
    text = last.text.strip() if isinstance(last, HumanMessage) else ""
    reset: dict[str, Any] = {"route": None, "result": None, "reply": None, "turn_tools": []}
    limit = runtime.context.max_message_chars
    if not text:
        return reset | {"request": "", "reply": EMPTY_MESSAGE}
    if len(text) > limit:
        # Keep the checkpoint bounded: the oversized message is replaced by its start.
        kept = HumanMessage(
            id=last.id if last is not None else None,
            content=text[:STORED_PREFIX] + f" [... {len(text):,} characters, not read]",
        )
        return reset | {"messages": [kept], "request": "", "reply": too_long(len(text), limit)}
    if is_override_attempt(text):
        return reset | {
            "request": text,
            "route": {"tool": REFUSE, "args": {}, "via": "guard"},
            "reply": REFUSAL,
        }
    return reset | {"request": text}
