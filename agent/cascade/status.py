"""What the queue looks like now (``keel queue``).

Depth, lag and in-flight keys by level, dead letters, and recompute totals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from agent.cascade.leases import CLAIM_ORDER
from agent.cascade.stats import recompute_totals
from memory.queue import DeadKey, DirtyKey


def queue_status(
    session: Session, *, now: datetime, org_id: str | None = None, dead_limit: int = 20
) -> dict[str, Any]:
    """Return the queue's state as one JSON-ready document.

    Per level: ``pending`` (all rows), ``ready`` (claimable unless a child blocks it),
    ``in_flight`` (live lease), ``expired_leases`` (a worker died; will be retried),
    ``backoff`` (waiting to retry) and ``lag_s`` (age of the oldest pending change).
    """
    dk = DirtyKey.__table__  # type: ignore[attr-defined]
    leased = and_(dk.c.lease_until.is_not(None), dk.c.lease_until >= now)
    expired = and_(dk.c.lease_until.is_not(None), dk.c.lease_until < now)
    backoff = and_(dk.c.not_before.is_not(None), dk.c.not_before > now, dk.c.lease_until.is_(None))

    def count(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    query = select(
        dk.c.level,
        func.count(),
        count(leased),
        count(expired),
        count(backoff),
        func.min(dk.c.first_marked_at),
    ).group_by(dk.c.level)
    if org_id is not None:
        query = query.where(dk.c.org_id == org_id)
    levels: dict[str, dict[str, Any]] = {
        lv: {
            "pending": 0,
            "ready": 0,
            "in_flight": 0,
            "expired_leases": 0,
            "backoff": 0,
            "lag_s": 0.0,
        }
        for lv in CLAIM_ORDER
    }
    for level, total, in_flight, stale, waiting, oldest in session.execute(query):
        total, in_flight, stale, waiting = (
            int(total),
            int(in_flight or 0),
            int(stale or 0),
            int(waiting or 0),
        )
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        levels[level] = {
            "pending": total,
            "ready": total - in_flight - waiting,
            "in_flight": in_flight,
            "expired_leases": stale,
            "backoff": waiting,
            "lag_s": round((now - oldest).total_seconds(), 3) if oldest is not None else 0.0,
        }
    dead = DeadKey.__table__  # type: ignore[attr-defined]
    dq = select(dead).order_by(dead.c.failed_at.desc()).limit(dead_limit)
    cq = select(func.count()).select_from(dead)
    if org_id is not None:
        dq = dq.where(dead.c.org_id == org_id)
        cq = cq.where(dead.c.org_id == org_id)
    items = [
        {
            "key": r.key,
            "org_id": r.org_id,
            "level": r.level,
            "attempts": r.attempts,
            "error": r.error,
            "failed_at": r.failed_at.isoformat(),
        }
        for r in session.execute(dq)
    ]
    return {
        "at": now.isoformat(),
        "org_id": org_id,
        "depth": sum(v["pending"] for v in levels.values()),
        "in_flight": sum(v["in_flight"] for v in levels.values()),
        "lag_s": max((v["lag_s"] for v in levels.values()), default=0.0),
        "levels": levels,
        "dead_letters": {"count": int(session.execute(cq).scalar_one()), "items": items},
        "recomputes": recompute_totals(session),
    }
