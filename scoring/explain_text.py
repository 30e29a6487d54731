"""Deterministic plain-language explanations of dimension scores (no LLM needed).

Used as the explanation whenever no language model is available, and as the fallback
when a model's sentence fails the number check in ``agent.explanations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LOW_CONFIDENCE = 0.4


def join_words(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def template_explanation(
    label: str, score: int, confidence: float, drivers: Sequence[dict[str, Any]]
) -> str:
    """One sentence: the score, the drivers behind it, and what works the other way.

    "72 because the champion is manager-level, the economic buyer has not been engaged
    and there is no agreed next step."

    Args:
        label: The dimension's name (used when nothing moves the score).
        score: Its 0-100 score.
        confidence: Its 0..1 confidence.
        drivers: Driver dicts with ``text`` and ``effect`` (log-odds), largest first.
    """
    helps = [str(d["text"]) for d in drivers if float(d["effect"]) > 0]
    hurts = [str(d["text"]) for d in drivers if float(d["effect"]) <= 0]
    main, other = (helps, hurts) if score >= 50 else (hurts, helps)
    if not main:
        main, other = other, []
    if main:
        text = f"{score} because {join_words(main)}"
        text += f", although {join_words(other)}." if other else "."
    else:
        text = f"{score}: nothing in {label.lower()} moves the odds yet."
    if confidence < LOW_CONFIDENCE:
        text += " Little evidence so far, so treat it as provisional."
    return text
