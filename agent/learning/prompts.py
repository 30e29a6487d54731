"""Prompts of the learning loop, each beside the pydantic schema its answer must fit.

They are small on purpose (the embedded 1.5B model reads ~150 tokens a second) and every
answer is JSON-schema constrained; the rule-based readers do the common cases, the model
only reads what they could not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

KindName = Literal[
    "tone", "framing", "structure", "content", "length", "channel", "timing", "other"
]


class CorrectionReading(BaseModel):
    """How a rep's message to Keel should be understood."""

    kind_of_message: Literal["style_preference", "fact_fix", "other"] = Field(
        description="style_preference: how to write or work; fact_fix: a wrong name, number "
        "or date; other: anything else."
    )
    statement: str = Field(
        default="",
        max_length=160,
        description="The preference as a short instruction, e.g. 'keep emails short'.",
    )
    kind: KindName = "other"
    polarity: Literal["do", "avoid", "allow"] = "do"


CORRECTION_SYSTEM = (
    "A sales rep is correcting a draft written by an assistant. Decide whether the message "
    "states a lasting preference about HOW to write or work (style_preference), only fixes a "
    "wrong fact such as a name, number or date (fact_fix), or neither (other). For a "
    "style_preference write it as one short instruction in the rep's sense, e.g. 'frame value "
    "around cost savings, not speed' or 'no exclamation marks'."
)


def correction_messages(message: str) -> list[BaseMessage]:
    """Messages asking the model to read one correction."""
    return [SystemMessage(CORRECTION_SYSTEM), HumanMessage(f"Rep's message: {message[:600]}")]


class ImplicitPreference(BaseModel):
    """One preference a conversation suggests, with the rep's words it rests on."""

    statement: str = Field(max_length=160, description="Short instruction, e.g. 'keep it short'.")
    kind: KindName = "other"
    quote: str = Field(max_length=200, description="The rep's exact words that show it.")


class ThreadPreferences(BaseModel):
    """Preferences a finished conversation suggests (at most three)."""

    preferences: list[ImplicitPreference] = Field(default_factory=list, max_length=3)


THREAD_SYSTEM = (
    "Below is a conversation between a sales rep and their assistant. List at most three "
    "lasting preferences about how the rep wants drafts and answers written (tone, length, "
    "structure, framing, what to include), only where the rep's own words show it: what they "
    "asked for again, rephrased, accepted or rejected. Quote the rep's exact words. Facts "
    "about deals (names, numbers, dates) are not preferences. Return an empty list if none."
)


def thread_messages(turns: Sequence[tuple[str, str]]) -> list[BaseMessage]:
    """Messages asking for implicit preferences from ``(role, text)`` turns (already cut)."""
    lines = [f"{role}: {text[:400]}" for role, text in turns]
    return [SystemMessage(THREAD_SYSTEM), HumanMessage("\n".join(lines))]


class EditPreferences(BaseModel):
    """Style preferences shown by a rep's edit of a draft (at most three)."""

    preferences: list[ImplicitPreference] = Field(default_factory=list, max_length=3)


EDIT_SYSTEM = (
    "A sales rep edited a draft written by their assistant. From the changes listed, state at "
    "most three lasting writing-style preferences (e.g. 'use bullet points for next steps'). "
    "Changed names, numbers and dates are fact fixes, not preferences. Quote the changed words. "
    "Return an empty list if the edit shows no style preference."
)


def edit_messages(changes: Sequence[str]) -> list[BaseMessage]:
    """Messages asking for style preferences from a list of ``- old -> new`` changes."""
    return [SystemMessage(EDIT_SYSTEM), HumanMessage("Changes:\n" + "\n".join(changes[:20]))]
