"""Prompt for the optional LLM polish of a morning briefing, beside its answer schema.

The deterministic briefing is already complete and correct; the model may only reword
it. Facts, numbers, deal names and the order of items must stay as given.
"""

from __future__ import annotations

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field


class PolishedBriefing(BaseModel):
    """The reworded briefing."""

    text: str = Field(description="The briefing, reworded; same items, facts and numbers.")


BRIEFING_SYSTEM = (
    "You are a sales assistant writing a rep's morning briefing. Reword the draft below so it "
    "reads naturally and briefly. Keep every item, in the same order, with the same deal names, "
    "numbers and suggested actions. Add nothing that is not in the draft."
)


def polish_messages(draft: str, *, preferences: list[str] | None = None) -> list[BaseMessage]:
    """Messages asking the model to reword ``draft`` (optionally honouring style preferences)."""
    system = BRIEFING_SYSTEM
    if preferences:
        system += " The rep prefers: " + "; ".join(preferences) + "."
    return [SystemMessage(system), HumanMessage(draft)]
