"""Derived state the cascade keeps up to date, and how to tell whether it is fresh.

Each roll-up row records ``inputs_version``: a fingerprint of exactly the inputs it was
computed from (for a deal: how many field changes, activities and signals it had and the
newest of each; for an account: its deals' fingerprints; for the pipeline: its accounts').
A row is fresh when that fingerprint equals the one of the current inputs and no key
that feeds it is still queued or dead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, func, or_, select
from sqlmodel import Field, Session, SQLModel

from memory.db import UTCDateTime
from memory.models import Activity, ActivitySignal, FieldChange
from memory.queue import DeadKey, DirtyKey
from memory.sql import upsert_insert


def _ts(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


class DealRollup(SQLModel, table=True):
    """A deal's health as of ``as_of``: current fields, velocity, activity and weight."""

    __tablename__ = "deal_rollup"
    __table_args__ = (Index("ix_deal_rollup_account", "account_id", "deal_id"),)

    deal_id: str = Field(primary_key=True)
    org_id: str = Field(index=True)
    account_id: str
    name: str
    stage: str | None = None
    amount: float | None = None
    currency: str | None = None
    forecast_category: str | None = None
    close_date: str | None = None
    owner_id: str | None = None
    is_open: bool = True
    is_won: bool = False
    closed_at: datetime | None = _ts(nullable=True)
    weight: float = 0.0
    weighted_amount: float = 0.0
    score: float | None = None
    model_version: str | None = None
    activities: int = 0
    buyer_activities: int = 0
    last_buyer_activity_at: datetime | None = _ts(nullable=True)
    signals: int = 0
    velocity: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    inputs_version: str
    as_of: datetime = Field(sa_type=UTCDateTime)
    computed_at: datetime = Field(sa_type=UTCDateTime)


class AccountRollup(SQLModel, table=True):
    """An account's deals rolled up: open, weighted, won and lost, by stage and forecast."""

    __tablename__ = "account_rollup"

    account_id: str = Field(primary_key=True)
    org_id: str = Field(index=True)
    deals: int = 0
    open_count: int = 0
    open_amount: float = 0.0
    weighted_amount: float = 0.0
    won_count: int = 0
    won_amount: float = 0.0
    lost_count: int = 0
    lost_amount: float = 0.0
    at_risk_count: int = 0
    activities: int = 0
    last_buyer_activity_at: datetime | None = _ts(nullable=True)
    by_stage: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    by_forecast: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    inputs_version: str
    computed_at: datetime = Field(sa_type=UTCDateTime)


class PipelineRollup(SQLModel, table=True):
    """An org's whole pipeline rolled up from its accounts."""

    __tablename__ = "pipeline_rollup"

    org_id: str = Field(primary_key=True)
    accounts: int = 0
    deals: int = 0
    open_count: int = 0
    open_amount: float = 0.0
    weighted_amount: float = 0.0
    won_count: int = 0
    won_amount: float = 0.0
    lost_count: int = 0
    lost_amount: float = 0.0
    at_risk_count: int = 0
    activities: int = 0
    by_stage: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    by_forecast: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    inputs_version: str
    computed_at: datetime = Field(sa_type=UTCDateTime)


class TrainingSnapshot(SQLModel, table=True):
    """A closed deal's state and velocity at its close, labelled with the outcome."""

    __tablename__ = "training_snapshot"
    __table_args__ = (UniqueConstraint("deal_id", "closed_at", name="uq_training_close"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True)
    deal_id: str = Field(index=True)
    outcome: str
    closed_at: datetime = Field(sa_type=UTCDateTime)
    known_at: datetime = Field(sa_type=UTCDateTime)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    velocity: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(sa_type=UTCDateTime)


class CascadeStat(SQLModel, table=True):
    """Recompute totals per worker and level; one row each, so workers never contend."""

    __tablename__ = "cascade_stat"

    owner: str = Field(primary_key=True)
    level: str = Field(primary_key=True)
    recomputes: int = 0
    reruns: int = 0
    failures: int = 0
    dead: int = 0
    lag_ms_sum: float = 0.0
    lag_ms_max: float = 0.0
    updated_at: datetime = Field(sa_type=UTCDateTime)


def digest(parts: Iterable[str]) -> str:
    """Stable short fingerprint of an ordered sequence of strings."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode())
        h.update(b"\x1f")
    return h.hexdigest()


def inputs_version(
    *,
    changes: tuple[int, int | None],
    activities: tuple[int, datetime | None],
    signals: tuple[int, int | None],
    model_version: str | None = None,
) -> str:
    """Format a deal's inputs fingerprint from ``(count, newest)`` of each input kind.

    Counts catch rows committed out of id order; the newest values catch everything
    else, since the store is append-only.
    """
    newest_act = activities[1].isoformat() if activities[1] is not None else ""
    return (
        f"fc:{changes[0]}:{changes[1] or 0}|act:{activities[0]}:{newest_act}"
        f"|sig:{signals[0]}:{signals[1] or 0}|model:{model_version or ''}"
    )


def deal_inputs(
    session: Session, deal_ids: Sequence[str], *, model_version: str | None = None
) -> dict[str, str]:
    """Return the current ``inputs_version`` of each deal, read from the store now."""
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    act = Activity.__table__  # type: ignore[attr-defined]
    sig = ActivitySignal.__table__  # type: ignore[attr-defined]
    ids = list(deal_ids)
    found: dict[str, dict[str, tuple[int, Any]]] = {d: {} for d in ids}
    for name, col, newest in (
        ("changes", fc.c.deal_id, fc.c.id),
        ("activities", act.c.deal_id, act.c.recorded_at),
        ("signals", sig.c.deal_id, sig.c.id),
    ):
        query = select(col, func.count(), func.max(newest)).where(col.in_(ids)).group_by(col)
        for deal_id, count, top in session.execute(query):
            found[deal_id][name] = (int(count), top)
    empty = (0, None)
    return {
        d: inputs_version(
            changes=f.get("changes", empty),
            activities=f.get("activities", empty),
            signals=f.get("signals", empty),
            model_version=model_version,
        )
        for d, f in found.items()
    }


def combine_inputs(children: Iterable[tuple[str, str]]) -> str:
    """Fingerprint of a parent from its ``(child_id, child_inputs_version)`` pairs, in id order."""
    return digest(f"{cid}={version}" for cid, version in sorted(children))


@dataclass(frozen=True)
class Freshness:
    """Whether a derived row reflects every input Keel has recorded."""

    fresh: bool
    computed_at: datetime | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        at = self.computed_at.isoformat() if self.computed_at else None
        return {"fresh": self.fresh, "computed_at": at, "reason": self.reason}


def deal_freshness(
    session: Session, *, deal_ids: Sequence[str], model_version: str | None = None
) -> dict[str, Freshness]:
    """Compare each deal roll-up's recorded inputs with the deal's inputs now."""
    rollups = {
        r.deal_id: r
        for r in session.execute(
            select(DealRollup).where(DealRollup.deal_id.in_(list(deal_ids)))  # type: ignore[attr-defined]
        ).scalars()
    }
    current = deal_inputs(session, deal_ids, model_version=model_version)
    out: dict[str, Freshness] = {}
    for deal_id in deal_ids:
        row = rollups.get(deal_id)
        if row is None:
            out[deal_id] = Freshness(False, None, "not computed yet")
        elif row.inputs_version != current[deal_id]:
            out[deal_id] = Freshness(False, row.computed_at, "inputs changed since computed")
        else:
            out[deal_id] = Freshness(True, row.computed_at, "up to date")
    return out


def org_freshness(session: Session, *, org_id: str) -> Freshness:
    """Is the org's pipeline roll-up fresh? (computed, nothing queued, nothing dead).

    Every input change marks a key in the same transaction, so an org with no queued and
    no dead keys below the training level has every roll-up computed from current inputs.
    """
    row = session.get(PipelineRollup, org_id)
    if row is None:
        return Freshness(False, None, "not computed yet")
    dk = DirtyKey.__table__  # type: ignore[attr-defined]
    dead = DeadKey.__table__  # type: ignore[attr-defined]
    levels = ["activity", "deal", "account", "pipeline"]
    queued = session.execute(
        select(func.count()).select_from(dk).where(dk.c.org_id == org_id, dk.c.level.in_(levels))
    ).scalar_one()
    if queued:
        return Freshness(False, row.computed_at, f"{queued} change(s) still queued")
    failed = session.execute(
        select(func.count())
        .select_from(dead)
        .where(dead.c.org_id == org_id, or_(*(dead.c.level == lv for lv in levels)))
    ).scalar_one()
    if failed:
        return Freshness(False, row.computed_at, f"{failed} dead-lettered key(s)")
    return Freshness(True, row.computed_at, "up to date")


def upsert_rows(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace derived rows of ``model`` (keyed on its primary key), in key order."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    pk = [c.name for c in table.primary_key.columns]
    ordered = sorted(rows, key=lambda r: tuple(r[k] for k in pk))
    stmt = upsert_insert(session, table)
    cols = [c for c in ordered[0] if c not in pk]
    stmt = stmt.on_conflict_do_update(index_elements=pk, set_={c: stmt.excluded[c] for c in cols})
    for start in range(0, len(ordered), 1000):
        session.execute(stmt, ordered[start : start + 1000])
