"""What Keel remembers about its own scores: score history and closed-deal snapshots.

Score history rows carry the inputs they were computed from (model version, feature
version, the deal's stored-inputs fingerprint, the extractor), so any past score can be
traced. When a deal closes, :func:`snapshot_closed_deals` freezes its life into the
training set: features at several moments (as known then), its signals, the scores Keel
gave it, and the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from memory.db import utcnow
from memory.derived import deal_inputs
from memory.models import ActivitySignal
from memory.queue import mark_dirty
from memory.scoring_store import ClosedDealSnapshot, DealScoreHistory
from memory.sql import upsert_insert
from scoring.cards import ScoreCard
from scoring.composite import ServedModel
from scoring.features import FEATURE_VERSION, build_features, build_features_at
from scoring.settings import ScoringSettings
from scoring.training import ClosedDeal, closed_deals, snapshot_instants


def record_scores(
    session: Session,
    *,
    org_id: str,
    cards: Sequence[ScoreCard],
    settings: ScoringSettings | None = None,
    computed_at: datetime | None = None,
) -> int:
    """Append score history rows for ``cards``; returns how many were written."""
    if not cards:
        return 0
    settings = settings or ScoringSettings()
    computed_at = computed_at or utcnow()
    versions = {c.model_version for c in cards}
    inputs: dict[str, str] = {}
    for v in versions:
        ids = [c.deal_id for c in cards if c.model_version == v]
        inputs.update(deal_inputs(session, ids, model_version=v))
    rows = [
        {
            "org_id": org_id,
            "deal_id": c.deal_id,
            "as_of": c.as_of,
            "computed_at": computed_at,
            "win_probability": c.win_probability,
            "confidence": c.confidence,
            "model_version": c.model_version,
            "feature_version": FEATURE_VERSION,
            "inputs_version": inputs.get(c.deal_id, ""),
            "extractor": ",".join(settings.extractor) or "*",
            "dimensions": [
                {"name": d.name, "score": d.score, "confidence": d.confidence, "drivers": d.drivers}
                for d in c.dimensions
            ],
        }
        for c in cards
    ]
    table = DealScoreHistory.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), 1000):
        session.execute(table.insert(), rows[start : start + 1000])
    return len(rows)


def refresh_open_scores(
    session: Session,
    *,
    org_id: str,
    as_of: datetime,
    model: ServedModel,
    settings: ScoringSettings | None = None,
) -> int:
    """Score every open deal with ``model``, record the scores, mark the deals dirty."""
    settings = settings or ScoringSettings()
    rows = build_features(session, org_id=org_id, as_of=as_of, settings=settings)
    cards = model.score_cards(rows, recent_days=settings.recent_days)
    record_scores(session, org_id=org_id, cards=cards, settings=settings)
    mark_dirty(session, org_id, [f"deal:{c.deal_id}" for c in cards], now=as_of)
    return len(cards)


def score_history(session: Session, *, deal_id: str) -> list[dict[str, Any]]:
    """Every recorded score of a deal, oldest first."""
    rows = session.scalars(
        select(DealScoreHistory)
        .where(DealScoreHistory.deal_id == deal_id)  # type: ignore[arg-type]
        .order_by(DealScoreHistory.as_of, DealScoreHistory.id)  # type: ignore[arg-type]
    )
    return [
        {
            "as_of": r.as_of.isoformat(),
            "computed_at": r.computed_at.isoformat(),
            "win_probability": r.win_probability,
            "confidence": r.confidence,
            "model_version": r.model_version,
            "inputs_version": r.inputs_version,
        }
        for r in rows
    ]


def snapshot_closed_deals(
    session: Session,
    *,
    org_id: str,
    deal_ids: Sequence[str],
    now: datetime | None = None,
    settings: ScoringSettings | None = None,
) -> int:
    """Freeze closed deals into the training set (idempotent per deal and close).

    Deals that are not closed as known at ``now`` are skipped. Returns rows written.
    """
    settings = settings or ScoringSettings()
    now = now or utcnow()
    wanted = set(deal_ids)
    closed: list[ClosedDeal] = [
        d for d in closed_deals(session, org_id=org_id, as_of=now) if d.deal_id in wanted
    ]
    if not closed:
        return 0
    instants = {d.deal_id: snapshot_instants(d, settings.snapshot_fractions) for d in closed}
    moments: dict[str, list[dict[str, Any]]] = {d.deal_id: [] for d in closed}
    for row in build_features_at(session, org_id=org_id, instants=instants, settings=settings):
        values = {k: v for k, v in row.values.items() if not k.startswith("_") or k == "_stage"}
        moments[row.deal_id].append({"at": row.at.isoformat(), "features": _json_safe(values)})
    sig = ActivitySignal.__table__  # type: ignore[attr-defined]
    signals: dict[str, list[dict[str, Any]]] = {d.deal_id: [] for d in closed}
    for r in session.execute(
        select(
            sig.c.deal_id,
            sig.c.activity_id,
            sig.c.extractor,
            sig.c.payload,
            sig.c.valid_from,
            sig.c.recorded_at,
        )
        .where(sig.c.deal_id.in_(list(moments)))
        .order_by(sig.c.valid_from)
    ):
        signals[r.deal_id].append(
            {
                "activity_id": r.activity_id,
                "extractor": r.extractor,
                "valid_from": r.valid_from.isoformat(),
                "recorded_at": r.recorded_at.isoformat(),
                "payload": r.payload,
            }
        )
    rows = [
        {
            "org_id": org_id,
            "deal_id": d.deal_id,
            "outcome": "won" if d.won else "lost",
            "closed_at": d.closed_at,
            "known_at": d.known_at,
            "created_at": now,
            "feature_version": FEATURE_VERSION,
            "moments": moments[d.deal_id],
            "signals": signals[d.deal_id],
            "scores": score_history(session, deal_id=d.deal_id),
            "recommendations": [],
        }
        for d in closed
    ]
    table = ClosedDealSnapshot.__table__  # type: ignore[attr-defined]
    stmt = upsert_insert(session, table).on_conflict_do_nothing(
        index_elements=["deal_id", "closed_at"]
    )
    session.execute(stmt, rows)
    return len(rows)


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = None if isinstance(v, float) and v != v else v
    return out
