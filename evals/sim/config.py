"""Configuration of the simulated sales world (sizes, seed, time span, data-quality knobs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class SimConfig(BaseModel):
    """Everything that shapes one simulated world; same config -> same world.

    Attributes:
        org_id: Id of the simulated org (also its source id).
        org_name: Display name of the simulated org.
        reps: Number of sales reps.
        managers: Number of sales managers (one team each).
        deals: Number of deals created over the simulated span.
        seed: Random seed; every random draw derives from it.
        months: Length of the simulated span in calendar months.
        start: First instant of the span (UTC-aware).
        activities_per_deal: Inclusive range of planned activities for a full-length deal
            (small deals draw from the low half, enterprise deals from the high half; every
            deal keeps its core activities, lost deals stop early, dark ones add follow-ups).
        accounts_per_deal: Ratio of distinct accounts to deals (the rest are repeat accounts).
        late_record_share: Share of deal field changes recorded 1-10 days after they took effect.
        late_record_days: Inclusive range of the recording delay, in days.
        correction_share: Share of amount/close-date changes first recorded wrong, then corrected.
        late_log_share: Share of calls/meetings whose notes are logged the next day.
        top_rep_share: Share of reps (at least one) who are "top reps".
    """

    model_config = ConfigDict(frozen=True)

    org_id: str = "demo"
    org_name: str = "Keelson Logistics Software"
    reps: int = Field(default=10, ge=1)
    managers: int = Field(default=2, ge=1)
    deals: int = Field(default=500, ge=1)
    seed: int = 7
    months: int = Field(default=18, ge=1, le=120)
    start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    activities_per_deal: tuple[int, int] = (4, 16)
    accounts_per_deal: float = Field(default=0.75, gt=0.0, le=1.0)
    late_record_share: float = Field(default=0.10, ge=0.0, le=1.0)
    late_record_days: tuple[int, int] = (1, 10)
    correction_share: float = Field(default=0.03, ge=0.0, le=1.0)
    late_log_share: float = Field(default=0.15, ge=0.0, le=1.0)
    top_rep_share: float = Field(default=0.25, gt=0.0, le=1.0)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("SimConfig.start must be timezone-aware (UTC)")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _ranges(self) -> SimConfig:
        lo, hi = self.activities_per_deal
        if not 2 <= lo <= hi:
            raise ValueError(f"activities_per_deal must satisfy 2 <= lo <= hi, got {lo, hi}")
        dlo, dhi = self.late_record_days
        if not 1 <= dlo <= dhi:
            raise ValueError(f"late_record_days must satisfy 1 <= lo <= hi, got {dlo, dhi}")
        return self

    @property
    def end(self) -> datetime:
        """The simulation's "now": ``start`` plus ``months`` calendar months."""
        month0 = self.start.month - 1 + self.months
        year = self.start.year + month0 // 12
        return self.start.replace(year=year, month=month0 % 12 + 1, day=1) + timedelta(
            days=self.start.day - 1
        )
