"""How much to trust a score: data completeness and recency per dimension, and familiarity.

A dimension's confidence (0..1) says whether the evidence it needs is actually known
and recent: signal dimensions need extracted conversations, multi-threading needs logged
buyer interactions and time, the decision process needs the CRM's stage and dates and
firms up as the deal advances. Evidence is counted smoothly and discounted when stale.
The composite's confidence is the geometric mean of the importance-weighted completeness
of the dimensions and how familiar the model is with deals like this one (see
``scoring.model``). Computed for many deals at once with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring.dimensions import DIMENSIONS
from scoring.matrix import numeric_column

Array = NDArray[np.float64]
INPUTS = (
    "extracted_activities", "age_days", "days_since_signal", "days_since_champion",
    "stage_index", "days_to_close_date", "forecast_rank", "activities", "buyer_activities",
    "amount_log", "next_meeting_last",
)  # fmt: skip


def _saturating(count: Array, scale: float) -> Array:
    """0 with no evidence, rising smoothly towards 1 (63% at ``scale`` items)."""
    return 1.0 - np.exp(-np.maximum(np.nan_to_num(count), 0.0) / scale)


def _recency(days: Array, half_life: float) -> Array:
    """1.0 for fresh evidence, halving every ``half_life`` days; 0 when there is none."""
    return np.where(np.isnan(days), 0.0, 0.5 ** (np.maximum(np.nan_to_num(days), 0.0) / half_life))


def confidence_matrix(rows: Sequence[Mapping[str, Any]], *, recent_days: float = 21.0) -> Array:
    """``(n, 8)`` confidence of each dimension (``DIMENSIONS`` order) for feature rows."""
    c = {name: numeric_column(rows, name) for name in INPUTS}
    fresh = _recency(c["days_since_signal"], recent_days)
    coverage = _saturating(c["extracted_activities"], 6.0)
    signals = coverage * (0.5 + 0.5 * fresh)
    champion_days = c["days_since_champion"]
    champion_fresh = np.where(np.isnan(champion_days), fresh, _recency(champion_days, recent_days))
    fields = sum(
        (~np.isnan(c[k])).astype(float)
        for k in ("stage_index", "days_to_close_date", "forecast_rank")
    )
    stage = np.nan_to_num(c["stage_index"])
    logged = _saturating(c["activities"], 5.0)
    buyer = _saturating(c["buyer_activities"], 4.0)
    ripe = np.minimum(np.nan_to_num(c["age_days"]) / 30.0, 1.0)
    amount = (~np.isnan(c["amount_log"])).astype(float)
    next_known = (~np.isnan(c["next_meeting_last"])).astype(float)
    by_dim = {
        "champion": coverage * (0.5 + 0.5 * champion_fresh),
        "economic_buyer": signals,
        "pain_business_case": signals,
        "decision_process": (fields / 3.0) * (0.3 + 0.7 * stage),
        "competition": signals,
        "momentum_next_steps": logged * (0.6 + 0.4 * next_known),
        "multithreading_engagement": buyer * (0.4 + 0.6 * ripe),
        "commercials": amount * (0.4 + 0.6 * coverage),
    }
    out = (
        np.stack([by_dim[d] for d in DIMENSIONS], axis=1)
        if rows
        else np.zeros((0, len(DIMENSIONS)))
    )
    result: Array = np.round(np.clip(out, 0.0, 1.0), 3).astype(np.float64)
    return result


def dimension_confidences(row: Mapping[str, Any], *, recent_days: float = 21.0) -> dict[str, float]:
    """Confidence of each dimension for one feature row."""
    values = confidence_matrix([row], recent_days=recent_days)[0]
    return {d: float(v) for d, v in zip(DIMENSIONS, values, strict=True)}


def composite_confidences(
    dimension_conf: Array, importance: Mapping[str, float], familiarity: Array
) -> Array:
    """Composite confidence per deal: sqrt(weighted completeness x familiarity).

    Args:
        dimension_conf: ``(n, 8)`` dimension confidences.
        importance: Mean absolute contribution of each dimension on training data
            (the weights; equal weights if all are zero).
        familiarity: ``(n,)`` 0..1, how familiar the model is with each deal.
    """
    weights = np.array([max(importance.get(d, 0.0), 0.0) for d in DIMENSIONS])
    if weights.sum() <= 0:
        weights = np.ones(len(DIMENSIONS))
    completeness = dimension_conf @ (weights / weights.sum())
    out: Array = np.round(np.sqrt(np.clip(completeness, 0, 1) * np.clip(familiarity, 0, 1)), 3)
    return out


def composite_confidence(
    dimension_conf: Mapping[str, float], importance: Mapping[str, float], familiarity: float
) -> float:
    """Composite confidence of one deal (see :func:`composite_confidences`)."""
    row = np.array([[dimension_conf[d] for d in DIMENSIONS]])
    return float(composite_confidences(row, importance, np.array([familiarity]))[0])
