"""Composite confidence: an expected-error model fitted on rows the trees never saw."""

from __future__ import annotations

import numpy as np

from scoring.confidence import ErrorModel, composite_confidences
from scoring.dimensions import DIMENSIONS


def _rows(n: int, seed: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.95, n)
    completeness = rng.uniform(0.0, 1.0, n)
    familiarity = rng.uniform(0.0, 1.0, n)
    return p, completeness, familiarity


def test_error_model_learns_that_missing_data_adds_error() -> None:
    p, comp, fam = _rows(4000)
    # Outcomes drawn from a noisier truth where data is missing: error grows as comp falls.
    rng = np.random.default_rng(4)
    truth = np.clip(p + (1 - comp) * rng.normal(0, 0.4, len(p)), 0.01, 0.99)
    y = (rng.uniform(size=len(p)) < truth).astype(float)
    model = ErrorModel.fit(p, comp, fam, y, np.ones(len(p)))
    assert model.b > 0.0 and model.a > 0.0
    err = model.expected_error(np.full(2, 0.5), np.array([0.1, 0.9]), np.array([1.0, 1.0]))
    assert err[0] > err[1]


def test_error_model_never_gives_negative_weights() -> None:
    p, comp, fam = _rows(2000, seed=5)
    rng = np.random.default_rng(6)
    # Here the deals with more data are the *noisier* ones: that term must drop to 0.
    truth = np.clip(p + comp * rng.normal(0, 0.5, len(p)), 0.01, 0.99)
    y = (rng.uniform(size=len(p)) < truth).astype(float)
    model = ErrorModel.fit(p, comp, fam, y, np.ones(len(p)))
    assert model.b == 0.0 and model.a > 0.0 and model.c >= 0.0
    assert ErrorModel.from_dict(model.as_dict()) == model
    assert ErrorModel.from_dict(None) is None


def test_confidence_falls_as_expected_error_rises() -> None:
    dims = np.ones((3, len(DIMENSIONS)))
    dims[2] *= 0.2
    prob = np.array([0.05, 0.5, 0.05])
    em = ErrorModel(a=1.0, b=0.5, c=0.0)
    conf = composite_confidences(dims, {}, np.ones(3), prob, em)
    assert conf[0] > conf[1]  # a 50/50 call carries the largest expected error
    assert conf[0] > conf[2]  # same probability, less data known: less confidence
    assert ((conf >= 0) & (conf <= 1)).all()
