"""Typed settings of the scoring package (``KEEL_*`` environment variables and ``.env``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScoringSettings(BaseSettings):
    """How Keel trains, serves and promotes its win models.

    Attributes:
        min_won: Closed-won deals needed before the org's own model is trained.
        min_lost: Closed-lost deals needed before the org's own model is trained.
        blend_k: Blend weight of the org model is ``n / (n + blend_k)`` for ``n`` closed
            training deals; the rest goes to the prior trained on the simulated org.
        holdout_share: Share of the latest closed deals held out to compare models.
        min_holdout: Fewest holdout deals (both classes present) for a fair comparison.
        calibration_share: Share of the latest training deals used to calibrate (Platt).
        snapshot_fractions: Moments of a closed deal's life (fractions from creation to
            close) at which training snapshots are taken.
        retrain_min_new_closed: New closed deals since the last training that trigger a retrain.
        extractor: Signal extractor(s) whose output features read; empty = any extractor.
        backfill_signals: If no extraction of an activity was recorded by the scoring
            instant, use its earliest later extraction as if known when the activity
            was recorded (signals depend only on the text, which was known then). Needed
            when history is imported and extracted after the fact.
        recent_days: Evidence older than this counts as stale for dimension confidence.
        split_min_deals: With a feature pool, orgs with at least this many deals (open or
            closed) build their open pipeline's features in two processes.
        n_threads: CPU threads for XGBoost (1 is fastest on a small shared machine: with
            2 threads on 2 busy cores training ran ~8x slower, measured).
        contributions: ``"approx"`` (path attributions, ~30x faster) or ``"exact"``
            (TreeSHAP) per-feature contributions; both add up exactly to the log-odds.
        max_rounds: Upper bound on boosting rounds (early stopping picks fewer).
        learning_rate: XGBoost learning rate.
        max_depth: XGBoost tree depth.
        category_min_count: A categorical value becomes a feature once seen this often.
        seed: Random seed of model training.
    """

    model_config = SettingsConfigDict(
        env_prefix="KEEL_SCORING_", env_file=".env", extra="ignore", populate_by_name=True
    )

    min_won: int = Field(default=50, ge=1, validation_alias="KEEL_MIN_WON")
    min_lost: int = Field(default=50, ge=1, validation_alias="KEEL_MIN_LOST")
    blend_k: float = Field(default=150.0, ge=0.0)
    holdout_share: float = Field(default=0.2, gt=0.0, lt=0.9)
    min_holdout: int = Field(default=40, ge=4)
    calibration_share: float = Field(default=0.2, gt=0.0, lt=0.9)
    snapshot_fractions: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)
    retrain_min_new_closed: int = Field(default=25, ge=1)
    extractor: tuple[str, ...] = ()
    backfill_signals: bool = True
    recent_days: float = Field(default=21.0, gt=0.0)
    split_min_deals: int = Field(default=4000, ge=2)
    n_threads: int = Field(default=1, ge=1)
    contributions: Literal["approx", "exact"] = "approx"
    max_rounds: int = Field(default=400, ge=1)
    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    max_depth: int = Field(default=4, ge=1, le=12)
    category_min_count: int = Field(default=10, ge=1)
    seed: int = 7
