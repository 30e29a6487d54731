"""Fitting a :class:`~scoring.model.WinModel`: boosting, Platt calibration, leaf coverage."""

from __future__ import annotations

from typing import Any

import numpy as np
import xgboost as xgb

from scoring.confidence import ErrorModel, completeness_of, confidence_matrix
from scoring.dimensions import CONTEXT, DIMENSIONS
from scoring.matrix import FeatureSpec
from scoring.model import Dataset, Vector, WinModel, _safe_names
from scoring.settings import ScoringSettings

EARLY_STOP = 40


def fit_platt(margin: Vector, y: Vector, w: Vector | None = None) -> tuple[float, float]:
    """Fit ``p = sigmoid(a * margin + b)`` by weighted maximum likelihood (Newton steps).

    Falls back to the identity ``(1, 0)`` when there are too few rows or one class only;
    the slope is kept within ``[0.05, 5]`` so a noisy calibration slice cannot flip or
    blow up the model's ranking.
    """
    weights = np.ones_like(y) if w is None else w
    if len(y) < 10 or y.min() == y.max():
        return 1.0, 0.0
    a, b = 1.0, 0.0
    for _ in range(50):
        z = np.clip(a * margin + b, -30, 30)
        p = 1.0 / (1.0 + np.exp(-z))
        g = weights * (p - y)
        h = weights * p * (1 - p) + 1e-9
        grad = np.array([np.sum(g * margin), np.sum(g)])
        hess = (
            np.array(
                [[np.sum(h * margin * margin), np.sum(h * margin)], [np.sum(h * margin), np.sum(h)]]
            )
            + np.eye(2) * 1e-6
        )
        step = np.linalg.solve(hess, grad)
        a, b = a - float(step[0]), b - float(step[1])
        if np.abs(step).max() < 1e-8:
            break
    return float(min(max(a, 0.05), 5.0)), float(b)


def fit_win_model(
    train: Dataset,
    cal: Dataset,
    *,
    settings: ScoringSettings,
    version: str,
    kind: str = "org",
    meta: dict[str, Any] | None = None,
) -> WinModel:
    """Train on ``train``, stop early and calibrate on the later slice ``cal``.

    Args:
        train: Earlier training deals' snapshots.
        cal: Later training deals' snapshots (calibration and early stopping).
        settings: Boosting parameters.
        version: Version id to give the model.
        kind: ``"org"`` or ``"prior"``.
        meta: Extra facts to store (training range, counts, ...).

    Raises:
        ValueError: the training rows hold a single class.
    """
    if len(train) == 0 or train.y.min() == train.y.max():
        raise ValueError("training data needs both won and lost deals")
    spec = FeatureSpec.fit(train.rows + cal.rows, min_count=settings.category_min_count)
    names = _safe_names(spec.columns)
    x_train, x_cal = spec.transform(train.rows), spec.transform(cal.rows)
    dtrain = xgb.DMatrix(
        x_train, label=train.y, weight=train.w, missing=np.nan, feature_names=names
    )
    params = {
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "eta": settings.learning_rate,
        "max_depth": settings.max_depth,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 1.0,
        "lambda": 2.0,
        "tree_method": "hist",
        "nthread": settings.n_threads,
        "seed": settings.seed,
    }
    evals = []
    dcal = None
    if len(cal):
        dcal = xgb.DMatrix(x_cal, label=cal.y, weight=cal.w, missing=np.nan, feature_names=names)
        evals = [(dcal, "cal")]
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=settings.max_rounds,
        evals=evals,
        early_stopping_rounds=EARLY_STOP if evals else None,
        verbose_eval=False,
    )
    best = getattr(booster, "best_iteration", None)
    if best is not None:
        booster = booster[: best + 1]
    platt = (1.0, 0.0)
    if dcal is not None:
        margin = booster.predict(dcal, output_margin=True).astype(np.float64)
        platt = fit_platt(margin, cal.y, cal.w)
    leaves = booster.predict(dtrain, pred_leaf=True).astype(np.int64)
    if leaves.ndim == 1:
        leaves = leaves[:, None]
    table = np.zeros((leaves.shape[1], int(leaves.max()) + 1))
    for t in range(leaves.shape[1]):
        np.add.at(table[t], leaves[:, t], train.w)
    model = WinModel(
        version=version,
        kind=kind,
        spec=spec,
        booster=booster,
        platt=platt,
        leaf_table=table,
        meta={
            **(meta or {}),
            "rounds": int(leaves.shape[1]),
            "train_rows": len(train),
            "calibration_rows": len(cal),
        },
    )
    explained = model.explain(train.rows)
    per_dim = explained.by_dimension()
    model.importance = {
        d: round(float(np.mean(np.abs(per_dim[d]))), 5) for d in (*DIMENSIONS, CONTEXT)
    }
    if len(cal):
        model.meta["error_model"] = fit_error_model(model, cal, settings).as_dict()
    return model


def fit_error_model(model: WinModel, cal: Dataset, settings: ScoringSettings) -> ErrorModel:
    """Expected absolute error of ``model`` on its calibration slice (not boosted on).

    Platt calibration was fitted on the same rows (two parameters, a mild optimism);
    the boosting never saw them, so leaf familiarity and completeness are judged on
    deals the trees did not fit.
    """
    ex = model.explain(cal.rows)
    completeness = completeness_of(
        confidence_matrix(cal.rows, recent_days=settings.recent_days), model.importance
    )
    return ErrorModel.fit(ex.probability, completeness, ex.familiarity, cal.y, cal.w)
