"""The ground truth of a simulated world, as pydantic models that export to JSON.

Also turns truth into ``ActivitySignal`` rows (extractor ``"truth"``) so scoring can be
built on true signals before an LLM extractor exists.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

TRUTH_EXTRACTOR = "truth"


class ActivityTruth(BaseModel):
    """What one activity's text really says, in the extraction schema, plus labels."""

    activity_id: str
    source_id: str
    deal_id: str
    deal_source_id: str
    kind: str
    purpose: str
    occurred_at: datetime
    recorded_at: datetime
    content_hash: str
    signals: dict[str, Any]
    tags: list[str] = Field(default_factory=list)
    framing: str | None = None
    next_meeting_at: datetime | None = None


class ShockTruth(BaseModel):
    """A sudden event that collapses a deal's chances, and the activity that reveals it."""

    deal_id: str
    deal_source_id: str
    kind: Literal["champion_left", "budget_frozen"]
    date: datetime
    activity_id: str | None
    activity_source_id: str | None
    revealed_at: datetime | None


class StallTruth(BaseModel):
    """A period with no buyer activity (the deal went dark)."""

    deal_id: str
    deal_source_id: str
    stall_pattern: bool
    dark_from: datetime
    dark_to: datetime | None
    revived: bool
    no_show_activity_id: str | None = None


class DealTruth(BaseModel):
    """One deal's latent factors, propensity, outcome and what its activities show."""

    deal_id: str
    source_id: str
    name: str
    account_id: str
    account_source_id: str
    owner_id: str
    rep_source_id: str
    segment: str
    lead_source: str
    product_line: str
    industry: str
    region: str
    currency: str
    amount: float
    created_at: datetime
    expected_close_date: str
    close_date: str
    closed_at: datetime | None
    close_recorded_at: datetime | None
    outcome: Literal["won", "lost", "open"]
    planned_outcome: Literal["won", "lost"]
    planned_closed_at: datetime
    loss_reason: str | None
    win_propensity: float
    win_propensity_initial: float
    logit_terms: dict[str, float]
    latent: dict[str, Any]
    observed: dict[str, Any]


class RepTruth(BaseModel):
    """A seller-side user with their latent skill and hidden style preferences."""

    user_id: str
    source_id: str
    name: str
    role: str
    team: str
    manager_id: str | None
    timezone: str
    skill: float
    top_rep: bool
    preferences: list[str]


class PreferenceTruth(BaseModel):
    """One writing-style preference and who holds it."""

    key: str
    text: str
    scope: Literal["org", "individual"]
    holders: list[str]


class EffectTruth(BaseModel):
    """A planted effect: what the model intends and what the generated data realises."""

    key: str
    description: str
    intended: dict[str, Any]
    realised: dict[str, Any] = Field(default_factory=dict)


class SimTruth(BaseModel):
    """Everything an evaluation needs to know about a simulated world."""

    org_id: str
    seed: int
    now: datetime
    config: dict[str, Any]
    model: dict[str, Any] = Field(default_factory=dict)
    reps: list[RepTruth] = Field(default_factory=list)
    preferences: list[PreferenceTruth] = Field(default_factory=list)
    effects: list[EffectTruth] = Field(default_factory=list)
    null_factors: list[str] = Field(default_factory=list)
    deals: list[DealTruth] = Field(default_factory=list)
    activities: dict[str, ActivityTruth] = Field(default_factory=dict)
    shocks: list[ShockTruth] = Field(default_factory=list)
    stalls: list[StallTruth] = Field(default_factory=list)

    def activity_by_id(self) -> dict[str, ActivityTruth]:
        """Activity truths keyed by activity id (``activities`` is keyed by source id)."""
        return {a.activity_id: a for a in self.activities.values()}

    def extend(self, other: SimTruth) -> None:
        """Append another batch's per-deal truth; world-level fields of ``other`` win if set."""
        self.deals += other.deals
        self.activities.update(other.activities)
        self.shocks += other.shocks
        self.stalls += other.stalls
        for name in ("model", "reps", "preferences", "effects", "null_factors"):
            if getattr(other, name):
                setattr(self, name, getattr(other, name))


class HasTruthAndActivities(Protocol):
    """Anything with activity rows and their truth (a World or a WorldBatch)."""

    activities: list[dict[str, Any]]
    truth: SimTruth


def truth_signals_rows(world_or_batch: HasTruthAndActivities) -> list[dict[str, Any]]:
    """Return ``ActivitySignal`` rows carrying the true signals of every activity.

    ``valid_from`` is the activity's ``occurred_at`` and ``recorded_at`` the activity's
    ``recorded_at``; ``extractor`` is ``"truth"``.

    Raises:
        ValueError: an activity row has no truth entry (the world is inconsistent).
    """
    truth = world_or_batch.truth.activities
    rows = []
    for act in world_or_batch.activities:
        t = truth.get(act["source_id"])
        if t is None:
            raise ValueError(f"activity {act['source_id']} has no truth entry")
        rows.append(
            {
                "org_id": act["org_id"],
                "activity_id": act["id"],
                "deal_id": act["deal_id"],
                "content_hash": act["content_hash"],
                "extractor": TRUTH_EXTRACTOR,
                "payload": t.signals,
                "valid_from": act["occurred_at"],
                "recorded_at": act["recorded_at"],
            }
        )
    return rows


def truth_json(truth: SimTruth) -> str:
    """Serialise truth deterministically (same world -> byte-identical JSON)."""
    return json.dumps(truth.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def write_truth(truth: SimTruth, path: str | Path) -> Path:
    """Write the truth as JSON to ``path`` (parent folders created) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(truth_json(truth) + "\n", encoding="utf-8")
    return target
