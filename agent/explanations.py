"""Plain-language explanations of a deal's dimension scores, written by the LLM and checked.

The LLM gets each dimension's score and its drivers (already in words) and writes one
sentence per dimension. A sentence is kept only if every number in it is one it was
given (the score, or a number inside a driver) and it mentions the score; otherwise, or
when no model is available or it fails, the deterministic template from
``scoring.explain_text`` stays. Also the LLM-opinion baseline of the scoring evaluation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_core.language_models import BaseChatModel

from agent.prompts.explanations import (
    DealOpinion,
    explanation_messages,
    opinion_messages,
    parse_explanations,
)
from scoring.cards import DimensionScore, ScoreCard
from scoring.dimensions import describe

logger = logging.getLogger(__name__)

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    """Numbers written in ``text``, normalised (thousands separators dropped)."""
    return {m.group(0).replace(",", "").lstrip("-") for m in _NUMBER.finditer(text)}


def allowed_numbers(dim: DimensionScore) -> set[str]:
    """Numbers a sentence about ``dim`` may contain: its score and its drivers' numbers."""
    allowed = {str(dim.score), "100"}
    for d in dim.drivers:
        allowed |= numbers_in(str(d.get("text", "")))
    return allowed


_WORD = re.compile(r"[a-z]+")
_CONNECTORS = frozenset(
    "because although though while whereas however also still only since which that this "
    "these those there their they with have been has had the and but for its not yet nothing "
    "moves odds score deal dimension given fact facts well just even currently some more".split()
)
MAX_UNGROUNDED = 0.34
"""Largest share of a sentence's content words that may be absent from its facts."""


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _CONNECTORS}


def check_sentence(text: str, dim: DimensionScore) -> str | None:
    """Why the sentence must be rejected (``None`` if it is acceptable).

    It must state the score, contain no number it was not given, and use mostly words
    from its own facts (a small model otherwise copies facts of the worked example or
    of other dimensions).
    """
    if not text.strip():
        return "empty"
    found = numbers_in(text)
    if str(dim.score) not in found:
        return f"does not state the score {dim.score}"
    invented = found - allowed_numbers(dim)
    if invented:
        return f"invented number(s) {sorted(invented)}"
    words = _content_words(text)
    vocabulary = _content_words(
        " ".join([dim.label, *(str(d.get("text", "")) for d in dim.drivers)])
    )
    stems = {w[:5] for w in vocabulary}
    foreign = sorted(w for w in words if w not in vocabulary and w[:5] not in stems)
    if words and len(foreign) / len(words) > MAX_UNGROUNDED:
        return f"words not grounded in its facts {foreign[:4]}"
    return None


def _payload(dim: DimensionScore) -> dict[str, Any]:
    against = [str(d["text"]) for d in dim.drivers if float(d.get("effect", 0.0)) <= 0]
    favour = [str(d["text"]) for d in dim.drivers if float(d.get("effect", 0.0)) > 0]
    return {"name": dim.name, "score": dim.score, "against": against, "for": favour}


def explain_card(
    card: ScoreCard, chat_model: BaseChatModel | None, *, dimensions: Iterable[str] | None = None
) -> tuple[ScoreCard, dict[str, str]]:
    """Rewrite a card's explanations with the LLM, keeping templates where it fails the check.

    Args:
        card: A score card (its explanations are the templates).
        chat_model: The chat model; ``None`` keeps the templates.
        dimensions: Only these dimensions (default: all eight).

    Returns:
        The card with explanations, and ``{dimension: source}`` where source is ``"llm"``,
        ``"template"`` or ``"template (llm ...: <why>)"``.
    """
    wanted = set(dimensions) if dimensions is not None else {d.name for d in card.dimensions}
    sources = {d.name: "template" for d in card.dimensions}
    if chat_model is None:
        return card, sources
    dims = [d for d in card.dimensions if d.name in wanted]
    try:
        answer = chat_model.invoke(explanation_messages([_payload(d) for d in dims]))
    except Exception as exc:  # any model failure falls back to the templates
        logger.warning("LLM explanations failed, keeping templates: %s", exc)
        return card, {k: f"template (llm failed: {type(exc).__name__})" for k in sources}
    content = answer.content if isinstance(answer.content, str) else str(answer.content)
    parsed = {e.name: e.text for e in parse_explanations(content, [d.name for d in dims])}
    texts: dict[str, str] = {}
    for d in dims:
        text = parsed.get(d.name, "")
        problem = check_sentence(text, d) if text else "no line for this dimension"
        if problem is None:
            texts[d.name] = text
            sources[d.name] = "llm"
        else:
            sources[d.name] = f"template (llm rejected: {problem})"
    return card.with_explanations(texts), sources


def llm_opinion(chat_model: BaseChatModel, facts: Mapping[str, Any]) -> float | None:
    """The LLM's 0-100 opinion of a deal as a probability (``None`` if it failed)."""
    try:
        answer = chat_model.with_structured_output(DealOpinion, max_tokens=20).invoke(
            opinion_messages(facts)
        )
    except Exception as exc:  # a baseline that fails is reported, not fatal
        logger.warning("LLM opinion failed: %s", exc)
        return None
    data = answer.model_dump() if isinstance(answer, DealOpinion) else dict(answer)  # type: ignore[call-overload]
    value = data.get("win_chance_percent")
    return None if value is None else min(max(float(value), 0.0), 100.0) / 100.0


FACT_FEATURES = (
    "age_days", "stage_index", "days_in_stage", "days_to_close_date", "close_date_pushes",
    "amount_log", "champion_seniority", "eb_engaged", "business_case_shared", "pricing_discussed",
    "competitors_count", "next_meeting_last", "days_since_buyer_activity", "engaged_stakeholders",
    "risks_count", "rep_win_rate",
)  # fmt: skip


def deal_facts(values: Mapping[str, Any]) -> dict[str, str]:
    """A deal's features as short facts an LLM can read (for the opinion baseline)."""
    facts: dict[str, str] = {}
    if values.get("_stage"):
        facts["stage"] = str(values["_stage"])
    for name in FACT_FEATURES:
        if name in values:
            facts[name.replace("_", " ")] = describe(name, values[name])
    comps = values.get("competitor") or []
    if comps:
        facts["competitors"] = ", ".join(str(c) for c in comps)
    for key in ("segment", "crm:lead_source"):
        if values.get(key):
            facts[key.removeprefix("crm:").replace("_", " ")] = str(values[key])
    return facts
