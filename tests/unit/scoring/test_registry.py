"""The registry: the prior below the minimum, promotion only of a better model, refresh."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from memory.db import session_scope
from memory.queue import DirtyKey
from memory.scoring_store import DealScoreHistory, ScoringModelVersion
from scoring.fit import fit_win_model
from scoring.model import Dataset, WinModel
from scoring.registry import NoModelError, blend_weight, served_model
from scoring.retrain import train_and_promote
from scoring.settings import ScoringSettings
from scoring.training import build_training_set, closed_deals
from tests.unit.scoring.simworld import CONFIG, sim_store

SETTINGS = ScoringSettings(min_won=10, min_lost=10, min_holdout=10, max_rounds=60)
NOW = CONFIG.end


@pytest.fixture(scope="module")
def bad_prior() -> WinModel:
    """A model trained on flipped labels: worse than useless, easy to beat."""
    engine = sim_store()
    with session_scope(engine) as s:
        deals = closed_deals(s, org_id="demo", as_of=NOW)
        data = build_training_set(s, org_id="demo", deals=deals, settings=SETTINGS).dataset()
    flipped = Dataset(data.rows, 1.0 - data.y, data.w)
    return fit_win_model(
        flipped,
        Dataset([], np.zeros(0), np.zeros(0)),
        settings=SETTINGS,
        version="bad-prior",
        kind="prior",
    )


def test_below_the_minimum_the_prior_scores(bad_prior: WinModel) -> None:
    engine = sim_store()
    strict = SETTINGS.model_copy(update={"min_won": 10_000})
    with session_scope(engine) as s:
        report = train_and_promote(s, org_id="demo", now=NOW, settings=strict, prior=bad_prior)
        assert not report.trained and not report.promoted
        assert "prior" in report.reason and "10000 won" in report.reason
        assert served_model(s, org_id="demo", prior=bad_prior).version == "bad-prior"


def test_a_better_candidate_is_promoted_and_open_deals_are_refreshed(bad_prior: WinModel) -> None:
    engine = sim_store()
    with session_scope(engine) as s:
        report = train_and_promote(s, org_id="demo", now=NOW, settings=SETTINGS, prior=bad_prior)
    assert report.trained and report.promoted, report.reason
    cand, cur = report.metrics["candidate"], report.metrics["current"]
    assert cand["auc"] > cur["auc"] and cand["brier"] < cur["brier"]
    # the flipped prior does not fit this org, so the org model alone was chosen
    assert report.blend_weight == 1.0
    assert report.metrics["blend_selection"]["rule"] == "org model alone fits better"
    assert report.refreshed_open_deals > 0
    with session_scope(engine) as s:
        served = served_model(s, org_id="demo", prior=bad_prior)
        assert served.version == report.candidate_version and served.weight == report.blend_weight
        history = s.scalar(select(func.count()).select_from(DealScoreHistory))
        dirty = s.scalar(
            select(func.count()).select_from(DirtyKey).where(DirtyKey.key.like("deal:%"))
        )  # type: ignore[attr-defined]
        row = s.get(ScoringModelVersion, report.candidate_version)
    assert history == report.refreshed_open_deals
    assert dirty is not None and dirty >= report.refreshed_open_deals
    assert (
        row is not None and row.status == "promoted" and row.train_to is not None and row.features
    )


def test_a_candidate_that_is_not_better_is_kept_out(bad_prior: WinModel) -> None:
    engine = sim_store()
    with session_scope(engine) as s:
        first = train_and_promote(
            s, org_id="demo", now=NOW, settings=SETTINGS, prior=bad_prior, refresh=False
        )
    with session_scope(engine) as s:
        again = train_and_promote(
            s, org_id="demo", now=NOW, settings=SETTINGS, prior=bad_prior, refresh=False
        )
    assert first.promoted and again.trained and not again.promoted
    assert "not better" in again.reason
    with session_scope(engine) as s:
        rows = {r.version: r.status for r in s.scalars(select(ScoringModelVersion))}
        assert served_model(s, org_id="demo", prior=bad_prior).version == first.candidate_version
    assert rows[first.candidate_version] == "promoted"  # type: ignore[index]
    assert rows[again.candidate_version] == "rejected"  # type: ignore[index]


def test_no_prior_and_no_model_is_a_clear_error() -> None:
    engine = sim_store()
    with session_scope(engine) as s, pytest.raises(NoModelError, match="keel train"):
        served_model(s, org_id="demo", prior=None)


def test_blend_moves_towards_the_org_model_as_deals_accumulate() -> None:
    s = ScoringSettings(blend_k=100)
    weights = [blend_weight(n, s, has_prior=True) for n in (0, 50, 100, 400, 5000)]
    assert (
        weights[0] == 0.0
        and weights[2] == 0.5
        and weights == sorted(weights)
        and weights[-1] > 0.97
    )
    assert blend_weight(10, s, has_prior=False) == 1.0


def test_retrain_only_when_enough_new_closes_arrived(bad_prior: WinModel) -> None:
    from datetime import timedelta

    from scoring.retrain import maybe_retrain, should_retrain

    engine = sim_store()
    early = NOW - timedelta(days=60)
    with session_scope(engine) as s:
        assert should_retrain(s, org_id="demo", now=early, settings=SETTINGS)[0]
        first = maybe_retrain(s, org_id="demo", now=early, settings=SETTINGS, prior=bad_prior)
        assert first is not None and first.trained
        yes, why = should_retrain(
            s, org_id="demo", now=early + timedelta(days=1), settings=SETTINGS
        )
        assert not yes and "since the last training" in why
        yes, why = should_retrain(s, org_id="demo", now=NOW, settings=SETTINGS)
    assert yes, why
