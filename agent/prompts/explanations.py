"""Prompts for score explanations and the LLM-opinion baseline, beside their answer schemas.

Both are short on purpose: the embedded 1.5B model reads ~150 tokens a second and writes
~35 (far less on a busy machine). Explanations are plain ``name: sentence`` lines (JSON-
schema constrained decoding was several times slower here); the opinion is a constrained
integer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field


class DimensionExplanation(BaseModel):
    """One dimension's sentence, as parsed from the model's ``name: sentence`` lines."""

    name: str
    text: str


EXPLAIN_SYSTEM = (
    "You explain a sales deal's scores to the sales rep in plain English. Each input line "
    "is one dimension with its score and the facts against it and in its favour. For each "
    "input line write one output line 'name: sentence'. The sentence starts with the score, "
    "then 'because', then those facts in natural words (at most 25 words). Use only the "
    "facts on that line; never add facts or numbers."
)

_EXAMPLE_IN = (
    "competition: score 41 | against: TransitPro is competing\n"
    "commercials: score 58 | in favour: pricing has been discussed | against: the amount changed twice"
)
_EXAMPLE_OUT = (
    "competition: 41 because TransitPro is competing for this deal.\n"
    "commercials: 58 because pricing has been discussed, although the amount has changed twice."
)


def _line(d: Mapping[str, Any]) -> str:
    parts = [f"score {d['score']}"]
    if d["against"]:
        parts.append("against: " + "; ".join(d["against"]))
    if d["for"]:
        parts.append("in favour: " + "; ".join(d["for"]))
    if len(parts) == 1:
        parts.append("nothing moves it yet")
    return f"{d['name']}: " + " | ".join(parts)


def explanation_messages(dimensions: Sequence[Mapping[str, Any]]) -> list[BaseMessage]:
    """Messages asking for one ``name: sentence`` line per dimension (with one worked example).

    Args:
        dimensions: ``{"name", "score", "against": [str], "for": [str]}`` per dimension.
    """
    return [
        SystemMessage(EXPLAIN_SYSTEM),
        HumanMessage(_EXAMPLE_IN),
        AIMessage(_EXAMPLE_OUT),
        HumanMessage("\n".join(_line(d) for d in dimensions)),
    ]


_LINE = re.compile(r"^[\s*\-#`]*([a-z_]+)[*`\s]*[:\-–]\s*(.+?)\s*$")


def parse_explanations(text: str, names: Sequence[str]) -> list[DimensionExplanation]:
    """The ``name: sentence`` lines of an answer whose name is one of ``names``."""
    wanted = set(names)
    out = []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if m and m.group(1) in wanted:
            out.append(DimensionExplanation(name=m.group(1), text=m.group(2).strip().strip('"')))
    return out


class DealOpinion(BaseModel):
    """An LLM's opinion of a deal's chance of closing won."""

    win_chance_percent: int = Field(ge=0, le=100, description="Chance the deal closes won, 0-100.")


OPINION_SYSTEM = (
    "You are an experienced B2B sales manager. Given what is known about an open deal, "
    "estimate the chance (0-100) that it will close won. Answer with the number only."
)


def opinion_messages(facts: Mapping[str, Any]) -> list[BaseMessage]:
    """Messages asking for a 0-100 opinion of one deal from ``name: value`` facts."""
    body = "\n".join(f"- {k}: {v}" for k, v in facts.items() if v not in (None, ""))
    return [SystemMessage(OPINION_SYSTEM), HumanMessage(f"Deal facts:\n{body}")]
