"""Tables of the scoring layer: model versions, deal score history, closed-deal snapshots.

The scoring package computes these rows; memory owns their schema so every backend
creates them with the rest of the store. All three are append-mostly: a model version
changes only its ``status`` (candidate -> promoted -> retired), score history rows are
never updated, and a closed deal's snapshot is written once per close.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from memory.db import UTCDateTime

MODEL_STATUSES = ("candidate", "promoted", "rejected", "retired")


def _ts(*, index: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, index=index)


class ScoringModelVersion(SQLModel, table=True):
    """One trained (or prior) win model of an org, with what it was trained on and how it did.

    Attributes:
        version: Unique version id (``<org>-v<n>`` for org models, ``prior-...`` for priors).
        kind: ``"org"`` (trained on the org's closed deals) or ``"prior"`` (simulated org).
        status: ``candidate``, ``promoted`` (the one in use; at most one per org),
            ``rejected`` (lost to the current model on the holdout) or ``retired``.
        features: Feature names the model reads, in matrix column order.
        metrics: Holdout metrics of this model and of the model it was compared with.
        train_from / train_to: Close times of the first and last training deal.
        blend_weight: Weight of the org model against the prior (1.0 = org model only).
        artifact: The serialised model (gzip'd JSON).
        reason: Why it was promoted or not, in words.
    """

    __tablename__ = "scoring_model_version"
    __table_args__ = (Index("ix_scoring_model_org_status", "org_id", "status"),)

    version: str = Field(primary_key=True)
    org_id: str = Field(index=True)
    kind: str = "org"
    status: str = "candidate"
    created_at: datetime = _ts()
    promoted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    features: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    train_from: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    train_to: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    n_won: int = 0
    n_lost: int = 0
    blend_weight: float = 1.0
    prior_version: str | None = None
    artifact: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reason: str = ""


class DealScoreHistory(SQLModel, table=True):
    """A score Keel computed for a deal, with exactly the inputs it was computed from.

    Attributes:
        as_of: The instant scored (features known at ``as_of``).
        computed_at: When the score was computed.
        model_version: Version of the model used.
        feature_version: Version of the feature code.
        inputs_version: Fingerprint of the deal's stored inputs (changes, activities, signals).
        extractor: Which signal extractor's output the features were read from.
        dimensions: The eight dimensions: ``[{"name", "score", "confidence", "drivers"}]``.
    """

    __tablename__ = "deal_score_history"
    __table_args__ = (
        Index("ix_deal_score_deal_asof", "deal_id", "as_of"),
        Index("ix_deal_score_org_computed", "org_id", "computed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: str
    deal_id: str
    as_of: datetime = _ts()
    computed_at: datetime = _ts()
    win_probability: float
    confidence: float
    model_version: str
    feature_version: str
    inputs_version: str = ""
    extractor: str = ""
    dimensions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


class ClosedDealSnapshot(SQLModel, table=True):
    """Everything Keel knew about a deal over its life, frozen when it closed.

    Attributes:
        closed_at: Valid time of the close.
        known_at: When Keel learned of the close.
        outcome: ``"won"`` or ``"lost"``.
        moments: Point-in-time feature rows at several moments of the deal's life
            (``[{"at", "features"}]``), each computed as Keel knew it at that moment.
        signals: The deal's extracted signals over its life (``[{"activity_id",
            "valid_from", "recorded_at", "extractor", "payload"}]``).
        scores: Scores Keel made for the deal while it was open.
        recommendations: Recommendations Keel made and whether they were acted on
            (empty until a recommendation log exists).
        feature_version: Version of the feature code that computed ``moments``.
    """

    __tablename__ = "closed_deal_snapshot"
    __table_args__ = (UniqueConstraint("deal_id", "closed_at", name="uq_closed_deal_snapshot"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True)
    deal_id: str = Field(index=True)
    outcome: str
    closed_at: datetime = _ts()
    known_at: datetime = _ts()
    created_at: datetime = _ts()
    feature_version: str
    moments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    signals: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    scores: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    recommendations: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


SCORING_TABLES = (ScoringModelVersion, DealScoreHistory, ClosedDealSnapshot)


def create_scoring_tables(engine: Any) -> None:
    """Create the scoring tables if missing (until ``create_schema`` imports this module)."""
    SQLModel.metadata.create_all(
        engine,
        tables=[t.__table__ for t in SCORING_TABLES],  # type: ignore[union-attr,attr-defined]
    )
