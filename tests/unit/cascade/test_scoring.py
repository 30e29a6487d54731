"""Deal scoring in the cascade: each org's model scores, and score history is committed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.worker import Worker
from agent.cascade_scoring import CascadeScorer, cascade_scorer, with_scoring
from memory.db import session_scope
from memory.derived import DealRollup
from memory.ids import make_id
from memory.ingest import ingest
from memory.scoring_store import DealScoreHistory, ScoringModelVersion, create_scoring_tables
from scoring.features import build_features
from scoring.fit import fit_win_model
from scoring.model import Dataset, WinModel
from scoring.service import KeelScorer
from scoring.settings import ScoringSettings
from tests.factories import change
from tests.unit.cascade.conftest import DEALS, NOW, make_ctx, seed

SETTINGS = ScoringSettings(max_rounds=5)


@pytest.fixture
def scoring_store(store: Engine) -> Engine:
    create_scoring_tables(store)
    return store


def tiny_model(engine: Engine) -> WinModel:
    """A model fitted on the seeded deals' features with made-up outcomes."""
    with Session(engine) as s:
        rows = [r.values for r in build_features(s, org_id="acme", as_of=NOW, settings=SETTINGS)]
    y = np.array([float(i % 2) for i in range(len(rows))])
    empty = Dataset([], np.zeros(0), np.zeros(0))
    train = Dataset(rows, y, np.ones(len(rows)))
    return fit_win_model(train, empty, settings=SETTINGS, version="tiny-v1", kind="prior")


def keel_scorer(prior: WinModel | None) -> KeelScorer:
    scorer = KeelScorer(settings=SETTINGS, prior=prior, record=False)
    scorer.prior = prior  # the constructor loads the shipped prior for None
    return scorer


def history(engine: Engine, org_id: str = "acme") -> list[DealScoreHistory]:
    with Session(engine) as s:
        return list(s.scalars(select(DealScoreHistory).where(DealScoreHistory.org_id == org_id)))  # type: ignore[arg-type]


def drain(engine: Engine, scorer: KeelScorer) -> Worker:
    worker = Worker(with_scoring(make_ctx(engine), scorer))
    worker.drain()
    return worker


def test_a_drained_cascade_leaves_score_history_for_every_scored_open_deal(
    scoring_store: Engine,
) -> None:
    model = tiny_model(scoring_store)
    with session_scope(scoring_store) as s:  # D1 closes: scored never, rolled up still
        ingest(s, changes=[change("D1", "stage", "closed_won", 5)])
    drain(scoring_store, keel_scorer(model))
    open_ids = {make_id("deal", "acme", d) for d in DEALS if d != "D1"}
    rows = history(scoring_store)
    assert {r.deal_id for r in rows} == open_ids and len(rows) == len(open_ids)
    with Session(scoring_store) as s:
        rollups = {r.deal_id: r for r in s.scalars(select(DealRollup))}
    for r in rows:
        assert r.model_version == "tiny-v1" and r.inputs_version.endswith("model:tiny-v1")
        assert r.win_probability == pytest.approx(rollups[r.deal_id].score)
        assert r.inputs_version == rollups[r.deal_id].inputs_version
        assert [d["name"] for d in r.dimensions]  # the full card was recorded
    assert rollups[make_id("deal", "acme", "D1")].score is None


def test_a_failed_write_transaction_records_no_score(scoring_store: Engine) -> None:
    scorer = keel_scorer(tiny_model(scoring_store))
    ctx = with_scoring(make_ctx(scoring_store), scorer)

    def failing(session: Session, **kw: Any) -> None:
        assert ctx.score_recorder is not None
        ctx.score_recorder(session, **kw)
        raise RuntimeError("write failed after recording")

    broken = Worker(make_ctx(scoring_store, scorer=ctx.scorer, score_recorder=failing))
    broken.drain()
    assert broken.stats.level("deal").failures > 0
    assert history(scoring_store) == []  # rolled back with the write transaction


def test_an_org_without_a_model_is_weighted_by_stage_and_fails_nothing(
    scoring_store: Engine,
) -> None:
    model = tiny_model(scoring_store)
    seed(scoring_store, org_id="bare")
    # acme has a promoted model, bare has nothing, and there is no prior
    with session_scope(scoring_store) as s:
        s.add(
            ScoringModelVersion(
                version="acme-v1",
                org_id="acme",
                kind="org",
                status="promoted",
                artifact=model.to_bytes(),
                blend_weight=1.0,
                created_at=NOW,
            )
        )
    worker = drain(scoring_store, keel_scorer(None))
    stats = worker.stats.as_dict()
    assert all(s["failures"] == 0 for s in stats.values())
    assert len(history(scoring_store, "acme")) == len(DEALS)
    assert history(scoring_store, "bare") == []
    with Session(scoring_store) as s:
        bare = list(s.scalars(select(DealRollup).where(DealRollup.org_id == "bare")))  # type: ignore[arg-type]
        acme = list(s.scalars(select(DealRollup).where(DealRollup.org_id == "acme")))  # type: ignore[arg-type]
    assert len(bare) == len(DEALS) and all(r.score is None for r in bare)
    assert all(r.inputs_version.endswith("model:") for r in bare)
    assert all(r.model_version == "acme-v1" and r.score is not None for r in acme)


def test_no_model_anywhere_means_no_scorer(scoring_store: Engine) -> None:
    assert cascade_scorer(scoring_store, keel_scorer(None)) is None
    ctx = with_scoring(make_ctx(scoring_store), keel_scorer(None))
    assert ctx.scorer is None and ctx.score_recorder is None
    Worker(ctx).drain()
    with Session(scoring_store) as s:
        scores = [r.score for r in s.scalars(select(DealRollup))]
    assert len(scores) == len(DEALS) and scores.count(None) == len(DEALS)


def test_the_adapter_refuses_a_scorer_that_records_in_its_read_step() -> None:
    with pytest.raises(ValueError, match="record=False"):
        CascadeScorer(KeelScorer(settings=SETTINGS, record=True))
