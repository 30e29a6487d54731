"""Scoring metrics: AUC, Brier score, log loss, calibration tables (optionally weighted)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

Array = NDArray[np.float64]


def auc(y: Array, p: Array, w: Array | None = None) -> float | None:
    """Area under the ROC curve (``None`` when only one class is present)."""
    if len(y) == 0 or np.min(y) == np.max(y):
        return None
    return round(float(roc_auc_score(y, p, sample_weight=w)), 4)


def brier(y: Array, p: Array, w: Array | None = None) -> float | None:
    """Mean squared error of the probabilities (lower is better)."""
    if len(y) == 0:
        return None
    return round(float(np.average((p - y) ** 2, weights=w)), 4)


def log_loss(y: Array, p: Array, w: Array | None = None) -> float | None:
    """Mean negative log-likelihood (lower is better)."""
    if len(y) == 0:
        return None
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return round(float(np.average(-(y * np.log(q) + (1 - y) * np.log(1 - q)), weights=w)), 4)


def calibration_table(
    y: Array, p: Array, w: Array | None = None, bins: int = 10
) -> list[dict[str, Any]]:
    """Predicted versus observed win rate in ``bins`` equal-width probability bins.

    Returns:
        One row per bin: ``{"bin", "lo", "hi", "n", "predicted", "observed"}`` (empty
        bins have ``None`` rates).
    """
    weights = np.ones_like(p) if w is None else w
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        n = int(mask.sum())
        wsum = float(weights[mask].sum())
        rows.append(
            {
                "bin": b + 1,
                "lo": round(float(edges[b]), 2),
                "hi": round(float(edges[b + 1]), 2),
                "n": n,
                "predicted": round(float(np.sum(p[mask] * weights[mask]) / wsum), 4) if n else None,
                "observed": round(float(np.sum(y[mask] * weights[mask]) / wsum), 4) if n else None,
            }
        )
    return rows


def expected_calibration_error(table: list[dict[str, Any]]) -> float:
    """Row-count weighted mean gap between predicted and observed rates."""
    total = sum(r["n"] for r in table)
    if not total:
        return 0.0
    gap = sum(
        float(r["n"]) * abs(float(r["predicted"]) - float(r["observed"])) for r in table if r["n"]
    )
    out: float = round(gap / float(total), 4)
    return out
