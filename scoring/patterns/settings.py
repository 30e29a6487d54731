"""Typed settings of pattern mining and alerting (``KEEL_PATTERNS_*`` environment variables)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PatternSettings(BaseSettings):
    """Thresholds of cross-deal pattern mining.

    Attributes:
        fdr_q: Benjamini-Hochberg false-discovery rate across every test of a run.
        min_support: Fewest deals in a pattern group (and in the rest) before it is tested.
        min_cell: Fewest deals in each cell of a combination (interaction) test.
        dark_days: Days without buyer activity that count as a deal going dark.
        dark_followups: Unanswered seller emails within that silence needed to call it dark
            (silence alone is normal between meetings).
        min_rep_deals: Closed deals a rep needs before being ranked for rep effectiveness.
        top_rep_share: Share of ranked reps counted as top performers.
        extractor: Signal extractor(s) to read (empty = any).
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_PATTERNS_", env_file=".env", extra="ignore")

    fdr_q: float = Field(default=0.05, gt=0.0, lt=1.0)
    min_support: int = Field(default=30, ge=5)
    min_cell: int = Field(default=20, ge=3)
    dark_days: float = Field(default=21.0, gt=0.0)
    dark_followups: int = Field(default=3, ge=0)
    min_rep_deals: int = Field(default=15, ge=3)
    top_rep_share: float = Field(default=0.25, gt=0.0, le=0.5)
    extractor: list[str] = Field(default_factory=list)


class AlertSettings(BaseSettings):
    """Thresholds of alerting and briefing selection (``KEEL_ALERTS_*``).

    Attributes:
        drop_z: Robust z-score (vs the deal's own and the pipeline's daily changes) a
            probability drop must exceed, on both yardsticks.
        drop_min: Smallest absolute probability drop worth an alert.
        drop_needs_evidence: Brief a drop only when new negative evidence arrived with it
            (a new risk, a lost champion, the deal going dark). Measured on the simulated
            org, the win model's unexplained overnight drops (stage moves, model quirks)
            were mostly not real trouble, and neither were drops explained only by a new
            competitor (those are reported in the "competitor entered" item instead).
        stall_quiet_days: Buyer silence after a stall-pattern touch before warning.
        stall_followups: Unanswered seller emails since that touch before warning; only
            chasing emails count (one sent the day of the buyer's last activity or the
            next day is the recap, not a follow-up).
        eb_quiet_days: Days since the economic buyer last engaged before warning.
        max_items: Most items in one briefing.
        min_value_at_risk: Alerts below this value at risk stay out of briefings.
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_ALERTS_", env_file=".env", extra="ignore")

    drop_z: float = Field(default=3.5, gt=0.0)
    drop_min: float = Field(default=0.08, ge=0.0, le=1.0)
    drop_needs_evidence: bool = True
    stall_quiet_days: float = Field(default=14.0, gt=0.0)
    stall_followups: int = Field(default=2, ge=0)
    eb_quiet_days: float = Field(default=30.0, gt=0.0)
    max_items: int = Field(default=3, ge=1)
    min_value_at_risk: float = Field(default=0.0, ge=0.0)
