"""Deal health for a batch of deals in a handful of set-based queries.

Computes, for many deals at once, what :func:`memory.asof.deals_as_of` and
:func:`memory.timeline.deal_velocity` compute one deal at a time (same rules: the latest
``valid_from`` wins, then the latest ``recorded_at``, then the latest id), plus the exact
inputs fingerprint of the rows it read. Per-deal reads cost several queries per deal,
which the cascade cannot afford on bursts; tests check both agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select, text, type_coerce
from sqlmodel import Session

from memory.db import UTCDateTime
from memory.derived import inputs_version
from memory.models import (
    CLOSED_STAGES,
    DEFAULT_STAGES,
    Activity,
    ActivitySignal,
    Deal,
    FieldChange,
    Org,
)
from memory.queue import org_is
from memory.sql import dialect_name
from memory.timeline import Velocity

Entry = tuple[datetime, Any, datetime]  # (valid_from, value, recorded_at)


@dataclass(frozen=True)
class DealHealth:
    """One deal as of an instant: fields, velocity and what it was computed from."""

    deal_id: str
    org_id: str
    account_id: str
    name: str
    fields: dict[str, Any]
    velocity: Velocity
    activities_recorded: int
    last_buyer_activity_at: datetime | None
    signals: int
    closed_at: datetime | None
    close_known_at: datetime | None
    inputs_version: str


def _days(end: datetime, start: datetime) -> float:
    return round((end - start).total_seconds() / 86400.0, 3)


def _dedupe(entries: list[Entry]) -> list[Entry]:
    out: list[Entry] = []
    for entry in entries:
        if not out or out[-1][1] != entry[1]:
            out.append(entry)
    return out


def _history(rows: list[tuple[str, Any, datetime, datetime, int]]) -> dict[str, list[Entry]]:
    """Effective history per field: valid-time order, a later record at the same instant wins."""
    rows.sort(key=lambda r: (r[0], r[2], r[3], r[4]))
    history: dict[str, list[Entry]] = {}
    for name, value, valid_from, recorded_at, _ in rows:
        entries = history.setdefault(name, [])
        if entries and entries[-1][0] == valid_from:
            entries[-1] = (valid_from, value, recorded_at)
        else:
            entries.append((valid_from, value, recorded_at))
    return history


@dataclass(frozen=True)
class _ActStats:
    recorded: int = 0
    newest_recorded: datetime | None = None
    total: int = 0
    buyer: int = 0
    last_buyer: datetime | None = None


def _buyer_clause(session: Session) -> Any:
    """SQL for memory.timeline's buyer-activity rule on the ``activity`` table.

    A call or meeting with a buyer-side participant, or an inbound email or note.
    """
    if dialect_name(session) == "postgresql":
        has_buyer = (
            "EXISTS (SELECT 1 FROM json_array_elements(activity.participants) AS p"
            " WHERE p->>'side' = 'buyer')"
        )
    else:
        has_buyer = (
            "EXISTS (SELECT 1 FROM json_each(activity.participants) AS p"
            " WHERE json_extract(p.value, '$.side') = 'buyer')"
        )
    return text(
        f"(CASE WHEN activity.kind IN ('call', 'meeting') THEN {has_buyer}"
        " ELSE activity.direction = 'inbound' END)"
    )


def _activity_stats(session: Session, ids: list[str], as_of: datetime) -> dict[str, _ActStats]:
    """Aggregate each deal's activities in the database.

    All recorded activities (count, newest) and, as of ``as_of``, the total, the buyer
    activities and the last buyer activity.
    """
    act = Activity.__table__  # type: ignore[attr-defined]
    seen = act.c.occurred_at <= as_of
    buyer = and_(seen, _buyer_clause(session))
    query = (
        select(
            act.c.deal_id,
            func.count(),
            func.max(act.c.recorded_at),
            func.sum(case((seen, 1), else_=0)),
            func.sum(case((buyer, 1), else_=0)),
            type_coerce(func.max(case((buyer, act.c.occurred_at))), UTCDateTime),
        )
        .where(act.c.deal_id.in_(ids))
        .group_by(act.c.deal_id)
    )
    return {
        deal_id: _ActStats(int(n), newest, int(total or 0), int(nbuyer or 0), last)
        for deal_id, n, newest, total, nbuyer, last in session.execute(query)
    }


def _velocity(
    created_at: datetime,
    history: dict[str, list[Entry]],
    order: dict[str, int],
    acts: _ActStats,
    as_of: datetime,
) -> Velocity:
    stages = _dedupe(history.get("stage", []))
    regressions = sum(
        1
        for a, b in zip(stages, stages[1:], strict=False)
        if a[1] not in CLOSED_STAGES and order.get(str(b[1]), 0) < order.get(str(a[1]), 0)
    )
    closes = _dedupe(history.get("close_date", []))
    pushes, push_days = 0, 0.0
    for a, b in zip(closes, closes[1:], strict=False):
        if a[1] and b[1] and str(b[1]) > str(a[1]):
            pushes += 1
            push_days += (
                date.fromisoformat(str(b[1])[:10]) - date.fromisoformat(str(a[1])[:10])
            ).days
    amounts = _dedupe(history.get("amount", []))
    amount_pct = None
    if len(amounts) >= 2 and amounts[0][1]:
        first, last = float(amounts[0][1]), float(amounts[-1][1])
        amount_pct = round((last - first) / first, 4)
    return Velocity(
        age_days=_days(as_of, created_at),
        days_in_stage=_days(as_of, stages[-1][0]) if stages else None,
        stage_transitions=max(len(stages) - 1, 0),
        stage_regressions=regressions,
        close_date_pushes=pushes,
        close_date_push_days=float(push_days),
        amount_changes=max(len(amounts) - 1, 0),
        amount_change_pct=amount_pct,
        activities=acts.total,
        buyer_activities=acts.buyer,
        days_since_last_buyer_activity=(
            _days(as_of, acts.last_buyer) if acts.last_buyer is not None else None
        ),
    )


def stage_order(session: Session, org_id: str) -> list[str]:
    """The org's ordered stage list (the default list when the org defines none)."""
    org = session.get(Org, org_id)
    return list(org.stages) if org is not None and org.stages else list(DEFAULT_STAGES)


def compute_health(
    session: Session,
    *,
    org_id: str,
    deal_ids: Sequence[str],
    as_of: datetime,
    model_version: str | None = None,
) -> dict[str, DealHealth]:
    """Return the health of each deal of ``org_id`` in ``deal_ids`` that existed at ``as_of``.

    Deals of another org, unknown deals and deals created after ``as_of`` are left out.
    """
    d = Deal.__table__  # type: ignore[attr-defined]
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    sig = ActivitySignal.__table__  # type: ignore[attr-defined]
    ids = sorted(set(deal_ids))
    deals = session.execute(
        select(d.c.id, d.c.account_id, d.c.name, d.c.created_at).where(
            d.c.id.in_(ids), org_is(d.c.org_id, org_id), d.c.created_at <= as_of
        )
    ).all()
    if not deals:
        return {}
    ids = [row[0] for row in deals]
    changes: dict[str, list[tuple[str, Any, datetime, datetime, int]]] = {i: [] for i in ids}
    change_stats: dict[str, tuple[int, int | None]] = {}
    for deal_id, name, value, valid_from, recorded_at, change_id in session.execute(
        select(
            fc.c.deal_id, fc.c.field, fc.c.value, fc.c.valid_from, fc.c.recorded_at, fc.c.id
        ).where(fc.c.deal_id.in_(ids))
    ):
        count, top = change_stats.get(deal_id, (0, None))
        change_stats[deal_id] = (count + 1, change_id if top is None else max(top, change_id))
        if valid_from <= as_of:
            changes[deal_id].append((name, value, valid_from, recorded_at, change_id))
    acts = _activity_stats(session, ids, as_of)
    sig_stats: dict[str, tuple[int, int | None]] = {
        deal_id: (int(count), top)
        for deal_id, count, top in session.execute(
            select(sig.c.deal_id, func.count(), func.max(sig.c.id))
            .where(sig.c.deal_id.in_(ids))
            .group_by(sig.c.deal_id)
        )
    }
    order = {name: i for i, name in enumerate(stage_order(session, org_id))}
    out: dict[str, DealHealth] = {}
    for deal_id, account_id, name, created_at in deals:
        history = _history(changes[deal_id])
        fields = {f: entries[-1][1] for f, entries in history.items()}
        stats = acts.get(deal_id, _ActStats())
        try:
            velocity = _velocity(created_at, history, order, stats, as_of)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"deal {deal_id} ({name!r}): unusable field value: {exc}") from exc
        stages = _dedupe(history.get("stage", []))
        closed = bool(stages) and stages[-1][1] in CLOSED_STAGES
        out[deal_id] = DealHealth(
            deal_id=deal_id,
            org_id=org_id,
            account_id=account_id,
            name=name,
            fields=fields,
            velocity=velocity,
            activities_recorded=stats.recorded,
            last_buyer_activity_at=stats.last_buyer,
            signals=sig_stats.get(deal_id, (0, None))[0],
            closed_at=stages[-1][0] if closed else None,
            close_known_at=stages[-1][2] if closed else None,
            inputs_version=inputs_version(
                changes=change_stats.get(deal_id, (0, None)),
                activities=(stats.recorded, stats.newest_recorded),
                signals=sig_stats.get(deal_id, (0, None)),
                model_version=model_version,
            ),
        )
    return out
