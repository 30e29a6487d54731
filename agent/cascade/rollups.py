"""Pure roll-up arithmetic: deal rows from health, accounts from deals, pipeline from accounts.

The handlers and the from-scratch verification both build rows here, so "the derived
state equals a recompute" compares like with like.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from agent.cascade.context import DealScore
from agent.cascade.health import DealHealth
from memory.derived import combine_inputs
from memory.models import CLOSED_LOST, CLOSED_STAGES, CLOSED_WON
from memory.timeline import Velocity

Row = dict[str, Any]
_VELOCITY_FIELDS = tuple(f.name for f in fields(Velocity))
"""Velocity's fields, all scalars: a shallow copy is its JSON form (``asdict`` deep-copies)."""

TOTALS = (
    "deals",
    "open_count",
    "open_amount",
    "weighted_amount",
    "won_count",
    "won_amount",
    "lost_count",
    "lost_amount",
    "at_risk_count",
    "activities",
)


def stage_weight(stages: Sequence[str], stage: str | None) -> float:
    """Default win weight of a stage: its position among the open stages, 0..1.

    Closed won is 1, closed lost 0; an unknown stage weighs 0. Used until a scorer
    provides a win probability.
    """
    if stage == CLOSED_WON:
        return 1.0
    open_stages = [s for s in stages if s not in CLOSED_STAGES]
    if stage not in open_stages:
        return 0.0
    return round((open_stages.index(stage) + 1) / (len(open_stages) + 1), 4)


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def deal_row(
    health: DealHealth,
    *,
    stages: Sequence[str],
    as_of: datetime,
    now: datetime,
    stale_buyer_days: float,
    score: DealScore | None = None,
) -> Row:
    """Build a ``deal_rollup`` row from a deal's health (and score, when a scorer gave one)."""
    f = health.fields
    stage = str(f["stage"]) if f.get("stage") is not None else None
    amount = _float(f.get("amount"))
    is_open = stage not in CLOSED_STAGES
    weight = score.win_probability if score is not None and is_open else stage_weight(stages, stage)
    v = health.velocity
    flags: list[str] = []
    if is_open:
        since = v.days_since_last_buyer_activity
        if since is None or since > stale_buyer_days:
            flags.append("no_recent_buyer_activity")
        if v.close_date_pushes:
            flags.append("close_date_pushed")
        if v.stage_regressions:
            flags.append("stage_regressed")
        close = f.get("close_date")
        if close and str(close)[:10] < as_of.date().isoformat():
            flags.append("past_close_date")
    return {
        "deal_id": health.deal_id,
        "org_id": health.org_id,
        "account_id": health.account_id,
        "name": health.name,
        "stage": stage,
        "amount": amount,
        "currency": str(f["currency"]) if f.get("currency") is not None else None,
        "forecast_category": (
            str(f["forecast_category"]) if f.get("forecast_category") is not None else None
        ),
        "close_date": str(f["close_date"])[:10] if f.get("close_date") else None,
        "owner_id": str(f["owner_id"]) if f.get("owner_id") is not None else None,
        "is_open": is_open,
        "is_won": stage == CLOSED_WON,
        "closed_at": health.closed_at,
        "weight": weight,
        "weighted_amount": round((amount or 0.0) * weight, 2) if is_open else 0.0,
        "score": score.win_probability if score is not None else None,
        "model_version": score.model_version if score is not None else None,
        "activities": health.activities_recorded,
        "buyer_activities": v.buyer_activities,
        "last_buyer_activity_at": health.last_buyer_activity_at,
        "signals": health.signals,
        "velocity": {name: getattr(v, name) for name in _VELOCITY_FIELDS},
        "flags": flags,
        "inputs_version": health.inputs_version,
        "as_of": as_of,
        "computed_at": now,
    }


def _bucket(
    buckets: dict[str, dict[str, float]], name: str | None, amount: float, weighted: float
) -> None:
    b = buckets.setdefault(name or "unknown", {"count": 0, "amount": 0.0, "weighted": 0.0})
    b["count"] += 1
    b["amount"] += amount
    b["weighted"] += weighted


def _merge(into: dict[str, dict[str, float]], other: Mapping[str, Mapping[str, float]]) -> None:
    for name, b in other.items():
        target = into.setdefault(name, {"count": 0, "amount": 0.0, "weighted": 0.0})
        for k in ("count", "amount", "weighted"):
            target[k] += b[k]


def _rounded(buckets: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {
        name: {
            "count": int(b["count"]),
            "amount": round(b["amount"], 2),
            "weighted": round(b["weighted"], 2),
        }
        for name, b in sorted(buckets.items())
    }


def account_row(
    *,
    account_id: str,
    org_id: str,
    deals: Iterable[Mapping[str, Any]],
    direct_activities: tuple[int, datetime | None],
    now: datetime,
) -> Row:
    """Roll an account's deal rows (and its activities not tied to a deal) into one row."""
    totals: dict[str, float] = dict.fromkeys(TOTALS, 0.0)
    by_stage: dict[str, dict[str, float]] = {}
    by_forecast: dict[str, dict[str, float]] = {}
    last_buyer: datetime | None = None
    inputs: list[tuple[str, str]] = [("~direct", f"{direct_activities[0]}:{direct_activities[1]}")]
    for d in sorted(deals, key=lambda r: str(r["deal_id"])):
        inputs.append((str(d["deal_id"]), str(d["inputs_version"])))
        amount = float(d["amount"] or 0.0)
        totals["deals"] += 1
        totals["activities"] += int(d["activities"])
        if d["is_open"]:
            totals["open_count"] += 1
            totals["open_amount"] += amount
            totals["weighted_amount"] += float(d["weighted_amount"])
            totals["at_risk_count"] += 1 if d["flags"] else 0
            _bucket(by_stage, d["stage"], amount, float(d["weighted_amount"]))
            _bucket(by_forecast, d["forecast_category"], amount, float(d["weighted_amount"]))
        elif d["is_won"]:
            totals["won_count"] += 1
            totals["won_amount"] += amount
        elif d["stage"] == CLOSED_LOST:
            totals["lost_count"] += 1
            totals["lost_amount"] += amount
        seen = d["last_buyer_activity_at"]
        if seen is not None and (last_buyer is None or seen > last_buyer):
            last_buyer = seen
    totals["activities"] += direct_activities[0]
    return {
        "account_id": account_id,
        "org_id": org_id,
        **_finish(totals),
        "last_buyer_activity_at": last_buyer,
        "by_stage": _rounded(by_stage),
        "by_forecast": _rounded(by_forecast),
        "inputs_version": combine_inputs(inputs),
        "computed_at": now,
    }


def _finish(totals: Mapping[str, float]) -> Row:
    return {k: (round(v, 2) if k.endswith("amount") else int(v)) for k, v in totals.items()}


def pipeline_row(*, org_id: str, accounts: Iterable[Mapping[str, Any]], now: datetime) -> Row:
    """Roll an org's account rows, in account-id order, into its pipeline row."""
    totals: dict[str, float] = dict.fromkeys(TOTALS, 0.0)
    by_stage: dict[str, dict[str, float]] = {}
    by_forecast: dict[str, dict[str, float]] = {}
    inputs: list[tuple[str, str]] = []
    count = 0
    for a in accounts:
        count += 1
        inputs.append((str(a["account_id"]), str(a["inputs_version"])))
        for k in TOTALS:
            totals[k] += float(a[k])
        _merge(by_stage, a["by_stage"])
        _merge(by_forecast, a["by_forecast"])
    return {
        "org_id": org_id,
        "accounts": count,
        **_finish(totals),
        "by_stage": _rounded(by_stage),
        "by_forecast": _rounded(by_forecast),
        "inputs_version": combine_inputs(inputs),
        "computed_at": now,
    }
