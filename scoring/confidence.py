"""How much to trust a score: data completeness and recency per dimension, and familiarity.

A dimension's confidence (0..1) says whether the evidence it needs is actually known
and recent: signal dimensions need extracted conversations, multi-threading needs logged
buyer interactions and time, the decision process needs the CRM's stage and dates and
firms up as the deal advances. Evidence is counted smoothly and discounted when stale.
The composite's confidence says how large the score's error is likely to be:
``1 - 2 * expected absolute error`` (1 = sure, 0 = a coin flip's error), where the
expected error is an :class:`ErrorModel` of the prediction's margin, the
importance-weighted completeness of the dimensions, and how familiar the model is with
deals like this one (see ``scoring.model``). The error model is fitted when the win model
is trained, on its later calibration slice (never on rows it was boosted on, never on a
holdout). Computed for many deals at once with numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import nnls

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


def completeness_of(dimension_conf: Array, importance: Mapping[str, float]) -> Array:
    """``(n,)`` importance-weighted mean of the dimension confidences (equal weights if none)."""
    weights = np.array([max(importance.get(d, 0.0), 0.0) for d in DIMENSIONS])
    if weights.sum() <= 0:
        weights = np.ones(len(DIMENSIONS))
    out: Array = np.clip(dimension_conf @ (weights / weights.sum()), 0.0, 1.0)
    return out


@dataclass(frozen=True)
class ErrorModel:
    """Expected absolute error of a calibrated probability ``p`` for one deal.

    ``E|y - p| = m * (a + b * (1 - completeness) + c * (1 - familiarity))`` with the
    margin term ``m = 2 p (1 - p)`` (the expected absolute error of a perfectly calibrated
    ``p``). Coefficients are fitted by weighted non-negative least squares (SciPy's NNLS):
    missing data or unfamiliar ground may add expected error, never remove it; a term
    that does not help on the fitting rows gets 0 (so it does not move confidence).
    """

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0

    def expected_error(self, p: Array, completeness: Array, familiarity: Array) -> Array:
        """``(n,)`` expected absolute error."""
        m = 2.0 * p * (1.0 - p)
        out: Array = m * (
            self.a + self.b * (1.0 - completeness) + self.c * (1.0 - np.clip(familiarity, 0, 1))
        )
        return out

    @classmethod
    def fit(
        cls, p: Array, completeness: Array, familiarity: Array, y: Array, w: Array
    ) -> ErrorModel:
        """Fit on rows the win model was not boosted on (its calibration slice)."""
        if len(y) < 30:
            return cls()
        m = 2.0 * p * (1.0 - p)
        x = np.stack([m, m * (1.0 - completeness), m * (1.0 - np.clip(familiarity, 0, 1))], 1)
        sw = np.sqrt(w)
        coef, _residual = nnls(x * sw[:, None], np.abs(y - p) * sw)
        if not coef.any():  # no error at all on the fitting rows: keep the calibrated margin
            return cls()
        return cls(*(round(float(v), 4) for v in coef))

    def as_dict(self) -> dict[str, float]:
        """JSON-ready form (stored in the win model's meta)."""
        return {"a": self.a, "b": self.b, "c": self.c}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ErrorModel | None:
        """Inverse of :meth:`as_dict` (``None`` for models trained before it existed)."""
        if not data:
            return None
        return cls(float(data["a"]), float(data["b"]), float(data["c"]))


def composite_confidences(
    dimension_conf: Array,
    importance: Mapping[str, float],
    familiarity: Array,
    probability: Array | None = None,
    error_model: ErrorModel | None = None,
) -> Array:
    """Composite confidence per deal.

    With a probability: ``1 - 2 * expected absolute error`` from ``error_model``; a model
    without a fitted error model uses the margin of a calibrated ``p`` times
    ``sqrt(completeness x familiarity)``. Without a probability: ``sqrt(completeness x
    familiarity)`` alone (data only).

    Args:
        dimension_conf: ``(n, 8)`` dimension confidences.
        importance: Mean absolute contribution of each dimension on training data
            (the weights; equal weights if all are zero).
        familiarity: ``(n,)`` 0..1, how familiar the model is with each deal.
        probability: ``(n,)`` calibrated win probabilities.
        error_model: The served model's fitted error model.
    """
    completeness = completeness_of(dimension_conf, importance)
    data = np.sqrt(completeness * np.clip(familiarity, 0, 1))
    if probability is None:
        conf = data
    elif error_model is None:
        conf = (1.0 - 4.0 * probability * (1.0 - probability)) * data
    else:
        conf = 1.0 - 2.0 * error_model.expected_error(probability, completeness, familiarity)
    out: Array = np.round(np.clip(conf, 0.0, 1.0), 3).astype(np.float64)
    return out


def composite_confidence(
    dimension_conf: Mapping[str, float], importance: Mapping[str, float], familiarity: float
) -> float:
    """Composite confidence of one deal (see :func:`composite_confidences`)."""
    row = np.array([[dimension_conf[d] for d in DIMENSIONS]])
    return float(composite_confidences(row, importance, np.array([familiarity]))[0])
