"""Scoring on PostgreSQL: the same point-in-time features as SQLite, and a full retrain."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.engine import Engine

from evals.sim import truth_signals_rows
from memory.db import session_scope
from memory.ingest import ingest
from memory.scoring_store import create_scoring_tables
from scoring.features import build_features
from scoring.retrain import train_and_promote
from scoring.service import KeelScorer
from scoring.settings import ScoringSettings
from tests.unit.scoring.simworld import CONFIG, sim_store, world

pytestmark = pytest.mark.integration


def _same(a: dict[str, object], b: dict[str, object]) -> bool:
    if set(a) != set(b):
        return False
    for k, x in a.items():
        y = b[k]
        if isinstance(x, float) and isinstance(y, float):
            if not (math.isnan(x) and math.isnan(y)) and not math.isclose(
                x, y, rel_tol=1e-9, abs_tol=1e-6
            ):
                return False
        elif x != y:
            return False
    return True


def test_features_scores_and_retrain_match_sqlite(pg_engine: Engine) -> None:
    create_scoring_tables(pg_engine)
    w = world()
    with session_scope(pg_engine) as s:
        ingest(s, **w.rows())
        ingest(s, signals=truth_signals_rows(w))
    lite = sim_store()
    mid = CONFIG.start + (CONFIG.end - CONFIG.start) * 0.6
    with session_scope(pg_engine) as s:
        pg_rows = build_features(s, org_id="demo", as_of=mid)
    with session_scope(lite) as s:
        lite_rows = build_features(s, org_id="demo", as_of=mid)
    assert len(pg_rows) > 10
    assert [r.deal_id for r in pg_rows] == [r.deal_id for r in lite_rows]
    for a, b in zip(pg_rows, lite_rows, strict=True):
        assert _same(a.values, b.values), (a.deal_id, a.values, b.values)
    settings = ScoringSettings(min_won=10, min_lost=10, min_holdout=10, max_rounds=60)
    with session_scope(pg_engine) as s:
        report = train_and_promote(s, org_id="demo", now=CONFIG.end, settings=settings, prior=None)
    assert report.promoted and report.refreshed_open_deals > 0
    with session_scope(pg_engine) as s:
        cards = KeelScorer(settings=settings, prior=None).cards(s, org_id="demo", as_of=CONFIG.end)
    assert cards and cards[0].model_version == report.candidate_version
