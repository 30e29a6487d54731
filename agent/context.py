"""Per-run context of the chat graph: who is asking, the tools' infrastructure, the model.

Passed to the compiled graph as LangGraph runtime context (``graph.invoke(..., context=...)``),
never stored in the checkpointed state and never chosen by the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from agent.prompts.agent import static_system_prompt
from tools.context import ToolContext
from tools.registry import TOOLS, ToolSpec


@dataclass
class AgentContext:
    """Everything the graph's nodes need for one turn.

    Attributes:
        tools: Tool context (viewer, store, clock, drafting model, preferences, feedback).
        model: Chat model for routing and answering; ``None`` answers with the tools' own
            words and can only route deterministically (clarification replies).
        tool_specs: The tools the router may choose from.
        max_message_chars: Longer user messages are declined with a clear reply.
        history_turns: Earlier turns shown to the model.
        route_max_tokens: Output limit of the routing call.
        answer_max_tokens: Output limit of an answer.
    """

    tools: ToolContext
    model: BaseChatModel | None = None
    tool_specs: list[ToolSpec] = field(default_factory=lambda: list(TOOLS))
    max_message_chars: int = 4000
    history_turns: int = 3
    route_max_tokens: int = 160
    answer_max_tokens: int = 220
    static_prompt: str = ""

    def __post_init__(self) -> None:
        if not self.static_prompt:
            self.static_prompt = static_system_prompt(self.tool_specs)
