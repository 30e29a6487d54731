"""The win model: calibrated, additive contributions, serialisation, blending."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.composite import ServedModel, blend
from scoring.fit import fit_platt, fit_win_model
from scoring.model import Dataset, WinModel
from scoring.settings import ScoringSettings

SETTINGS = ScoringSettings(max_rounds=60, category_min_count=3)


def _data(n: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    rows, y = [], []
    for _ in range(n):
        seniority = int(rng.integers(0, 5))
        engaged = float(rng.random() < 0.5)
        comp = str(rng.choice(["RouteSmart", "Fleetly"]))
        logit = -2.0 + 0.8 * seniority + 1.0 * engaged - (0.8 if comp == "RouteSmart" else 0.0)
        rows.append({"champion_seniority": float(seniority), "eb_engaged": engaged, "competitor": [comp],
                     "days_since_buyer_activity": float(rng.integers(0, 60)), "segment": "smb", "_stage": "discovery"})  # fmt: skip
        y.append(float(rng.random() < 1 / (1 + np.exp(-logit))))
    return Dataset(rows, np.array(y), np.ones(n))


@pytest.fixture(scope="module")
def model() -> WinModel:
    return fit_win_model(_data(600, 1), _data(200, 2), settings=SETTINGS, version="t1")


@pytest.mark.parametrize("exact", [False, True])
def test_contributions_add_up_to_the_calibrated_log_odds(model: WinModel, exact: bool) -> None:
    rows = _data(50, 3).rows
    ex = model.explain(rows, exact=exact)
    p = model.predict(rows)
    np.testing.assert_allclose(ex.probability, p, atol=1e-5)
    per_dim = ex.by_dimension()
    total = ex.base + sum(per_dim.values())
    np.testing.assert_allclose(total, np.log(p / (1 - p)), atol=1e-4)


def test_model_learns_the_planted_direction(model: WinModel) -> None:
    low = {
        "champion_seniority": 0.0,
        "eb_engaged": 0.0,
        "competitor": ["RouteSmart"],
        "days_since_buyer_activity": 10.0,
    }
    high = {
        "champion_seniority": 4.0,
        "eb_engaged": 1.0,
        "competitor": ["Fleetly"],
        "days_since_buyer_activity": 10.0,
    }
    p = model.predict([low, high])
    assert p[1] > p[0] + 0.3
    assert set(model.spec.columns) >= {"champion_seniority", "competitor=RouteSmart"}


def test_round_trip_keeps_predictions(model: WinModel) -> None:
    rows = _data(20, 4).rows
    again = WinModel.from_bytes(model.to_bytes())
    np.testing.assert_allclose(again.predict(rows), model.predict(rows), atol=1e-6)
    assert again.version == "t1" and again.importance == model.importance


def test_garbage_is_not_a_model() -> None:
    with pytest.raises(ValueError, match="not a Keel win model"):
        WinModel.from_bytes(b"hello")


def test_platt_recovers_a_known_slope_and_falls_back_on_one_class() -> None:
    rng = np.random.default_rng(0)
    m = rng.normal(0, 2, 20000)
    y = (rng.random(20000) < 1 / (1 + np.exp(-(0.5 * m - 0.3)))).astype(float)
    a, b = fit_platt(m, y)
    assert abs(a - 0.5) < 0.05 and abs(b + 0.3) < 0.05
    assert fit_platt(m[:50], np.zeros(50)) == (1.0, 0.0)


def test_single_class_training_is_refused() -> None:
    data = _data(50, 5)
    data.y[:] = 0.0
    with pytest.raises(ValueError, match="both won and lost"):
        fit_win_model(data, _data(10, 6), settings=SETTINGS, version="x")


def test_blend_is_linear_in_log_odds(model: WinModel) -> None:
    other = fit_win_model(_data(300, 7), _data(100, 8), settings=SETTINGS, version="t2")
    rows = _data(30, 9).rows
    a, b = model.explain(rows), other.explain(rows)
    mixed = blend(a, b, 0.25)
    np.testing.assert_allclose(mixed.logit, 0.25 * a.logit + 0.75 * b.logit, atol=1e-6)
    served = ServedModel("mix", org=model, prior=other, weight=0.25)
    np.testing.assert_allclose(served.predict(rows), mixed.probability, atol=1e-9)


def test_familiarity_is_lower_far_from_the_training_data(model: WinModel) -> None:
    usual = _data(200, 10).rows
    odd = [
        {
            "champion_seniority": 40.0,
            "eb_engaged": 1.0,
            "competitor": [],
            "days_since_buyer_activity": 900.0,
        }
    ] * 5
    assert model.explain(odd).familiarity.mean() < model.explain(usual).familiarity.mean()
