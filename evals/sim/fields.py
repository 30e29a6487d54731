"""CRM field history of one deal: FieldChange rows with late recording and corrections.

Valid time is when a change became true (a stage moved right after the call that moved
it); recorded time is when the CRM captured it. A share of changes is recorded days
late, and a few amount/close-date changes are first recorded wrong, then corrected with
the same ``valid_from`` and a later ``recorded_at``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from evals.sim.config import SimConfig
from evals.sim.plan import Touch
from evals.sim.timing import iso_day

AMOUNT_BASE = {"smb": 18_000.0, "mid": 65_000.0, "enterprise": 240_000.0}
FORECAST = {
    "prospecting": "pipeline",
    "qualification": "pipeline",
    "discovery": "pipeline",
    "solution": "pipeline",
    "proposal": "best_case",
    "negotiation": "commit",
    "closed_won": "closed",
    "closed_lost": "omitted",
}


@dataclass
class Change:
    """One planned field change (before ids)."""

    field: str
    value: Any
    valid_from: datetime
    recorded_at: datetime


def plan_amounts(rng: random.Random, segment: str) -> dict[str, float]:
    """Initial amount, the amount in the proposal, and the final negotiated amount."""
    initial = round(AMOUNT_BASE[segment] * math.exp(rng.gauss(0.0, 0.45)) / 500) * 500
    proposal = initial
    if rng.random() < 0.5:
        proposal = round(initial * (1 + rng.gauss(0.0, 0.12)) / 500) * 500
    final = proposal
    if rng.random() < 0.5:
        final = round(proposal * (1 - rng.uniform(0.05, 0.15)) / 500) * 500
    return {"initial": float(initial), "proposal": float(proposal), "final": float(final)}


def currency_for(rng: random.Random, region: str) -> str:
    """Deal currency by account region."""
    if region == "emea":
        return rng.choices(("EUR", "GBP", "USD"), weights=(50, 25, 25))[0]
    if region == "nordics":
        return rng.choices(("EUR", "USD"), weights=(70, 30))[0]
    return "USD"


def plan_changes(
    rng: random.Random,
    *,
    created: datetime,
    initial: dict[str, Any],
    touches: list[Touch],
    amounts: dict[str, float],
    expected_close: datetime,
    closed_at: datetime,
    outcome: str,
    loss_reason: str | None,
) -> list[Change]:
    """Return the deal's field changes in valid-time order (recorded at valid time)."""
    out = [Change(k, v, created, created) for k, v in initial.items()]
    stage, amount = initial["stage"], amounts["initial"]
    events: list[tuple[datetime, str, Any]] = []
    for t in touches:
        if t.stage_after is None or t.at is None or t.stage_after == stage:
            continue
        at = min(t.at + timedelta(minutes=rng.randint(10, 90)), closed_at - timedelta(minutes=5))
        stage = t.stage_after
        events.append((at, "stage", stage))
        events.append((at, "forecast_category", FORECAST[stage]))
        key = {"proposal": "proposal", "negotiation": "final"}.get(stage)
        if key and amounts[key] != amount:
            amount = amounts[key]
            events.append((at + timedelta(seconds=30), "amount", amount))
    close = expected_close
    t_push = close + timedelta(days=rng.uniform(0.5, 5))
    while t_push < closed_at - timedelta(days=1):
        close = t_push + timedelta(days=rng.uniform(14, 45))
        events.append((t_push, "close_date", iso_day(close)))
        t_push = close + timedelta(days=rng.uniform(0.5, 5))
    final_stage = "closed_won" if outcome == "won" else "closed_lost"
    events.append((closed_at, "stage", final_stage))
    events.append((closed_at, "forecast_category", FORECAST[final_stage]))
    if iso_day(close) != iso_day(closed_at):
        events.append((closed_at, "close_date", iso_day(closed_at)))
    if outcome == "won" and amount != amounts["final"]:
        events.append((closed_at, "amount", amounts["final"]))
    if loss_reason:
        events.append((closed_at, "loss_reason", loss_reason))
    events.sort(key=lambda e: e[0])
    out += [
        Change(f, v, at.replace(microsecond=0), at.replace(microsecond=0)) for at, f, v in events
    ]
    return out


def _wrong(field: str, value: Any, rng: random.Random) -> Any:
    if field == "amount":
        return float(value) * rng.choice((10.0, 0.1)) if rng.random() < 0.6 else float(value) + 9000
    day = datetime.fromisoformat(str(value))
    if rng.random() < 0.5:
        return day.replace(year=day.year + 1).date().isoformat()
    return (day + timedelta(days=rng.choice((-30, 31, 61)))).date().isoformat()


def record_times(config: SimConfig, rng: random.Random, changes: list[Change]) -> list[Change]:
    """Apply late recording and corrections; creation-time changes are recorded on time.

    Changes with the same ``valid_from`` were one CRM save, so they are late together.
    """
    out: list[Change] = []
    created = changes[0].valid_from
    lo, hi = config.late_record_days
    delays: dict[datetime, timedelta] = {}
    for c in changes:
        if c.valid_from not in delays:
            late = c.valid_from > created and rng.random() < config.late_record_share
            delays[c.valid_from] = (
                timedelta(seconds=int(rng.uniform(lo, hi) * 86400)) if late else timedelta(0)
            )
        c.recorded_at = c.valid_from + delays[c.valid_from]
        if c.field in ("amount", "close_date") and rng.random() < config.correction_share:
            out.append(Change(c.field, _wrong(c.field, c.value, rng), c.valid_from, c.recorded_at))
            c.recorded_at = c.recorded_at + timedelta(seconds=int(rng.uniform(1, 5) * 86400))
        out.append(c)
    return out
