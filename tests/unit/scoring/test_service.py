"""KeelScorer: what the cascade and the tools call."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from memory.db import session_scope
from memory.scoring_store import ClosedDealSnapshot, DealScoreHistory
from scoring.dimensions import DIMENSIONS
from scoring.fit import fit_win_model
from scoring.model import WinModel
from scoring.service import KeelScorer
from scoring.settings import ScoringSettings
from scoring.training import build_training_set, closed_deals, time_split
from tests.unit.scoring.simworld import CONFIG, sim_store, world

SETTINGS = ScoringSettings(max_rounds=60)


@pytest.fixture(scope="module")
def prior() -> WinModel:
    engine = sim_store()
    with session_scope(engine) as s:
        deals = closed_deals(s, org_id="demo", as_of=CONFIG.end)
        data = build_training_set(s, org_id="demo", deals=deals, settings=SETTINGS)
    fit, cal = time_split(deals, 0.2)
    return fit_win_model(
        data.subset(fit).dataset(),
        data.subset(cal).dataset(),
        settings=SETTINGS,
        version="p1",
        kind="prior",
    )


def test_scores_only_open_deals_and_records_what_they_came_from(prior: WinModel) -> None:
    engine = sim_store()
    truth = world().truth.deals
    open_ids = [d.deal_id for d in truth if d.outcome == "open"][:5]
    closed_id = next(d.deal_id for d in truth if d.outcome == "lost")
    scorer = KeelScorer(settings=SETTINGS, prior=prior, record=True)
    with session_scope(engine) as s:
        scores = scorer.score(s, org_id="demo", deal_ids=[*open_ids, closed_id], as_of=CONFIG.end)
    assert set(scores) == set(open_ids)
    assert scorer.model_version == "p1"
    card = scores[open_ids[0]]
    assert [d.name for d in card.dimensions] == list(DIMENSIONS)
    assert 0.0 < card.win_probability < 1.0 and 0.0 <= card.confidence <= 1.0
    logit = card.base + card.context + sum(d.contribution for d in card.dimensions)
    assert math.isclose(1 / (1 + math.exp(-logit)), card.win_probability, abs_tol=2e-3)
    doc = card.as_dict()
    assert set(doc) == {"deal_id", "win_probability", "confidence", "dimensions", "model_version"}
    assert set(doc["dimensions"][0]) == {"name", "score", "confidence", "drivers", "explanation"}
    assert doc["dimensions"][0]["explanation"].startswith(str(doc["dimensions"][0]["score"]))
    with session_scope(engine) as s:
        rows = list(s.scalars(select(DealScoreHistory)))
    assert len(rows) == 5 and all(
        r.inputs_version.startswith("fc:") and r.model_version == "p1" for r in rows
    )


def test_a_closed_deal_is_frozen_into_the_training_set(prior: WinModel) -> None:
    engine = sim_store()
    won = next(d for d in world().truth.deals if d.outcome == "won")
    scorer = KeelScorer(settings=SETTINGS, prior=prior)
    with session_scope(engine) as s:
        scorer.write_snapshots(s, org_id="demo", deal_ids=[won.deal_id])
        scorer.write_snapshots(s, org_id="demo", deal_ids=[won.deal_id])  # idempotent
    with session_scope(engine) as s:
        snaps = list(s.scalars(select(ClosedDealSnapshot)))
    assert len(snaps) == 1
    snap = snaps[0]
    assert snap.outcome == "won" and len(snap.moments) == len(SETTINGS.snapshot_fractions)
    assert all(m["at"] < snap.closed_at.isoformat() for m in snap.moments)
    assert snap.signals and snap.signals[0]["payload"] is not None
