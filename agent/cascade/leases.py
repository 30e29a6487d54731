"""The worker side of the dirty-key queue: claim with a lease, finish, fail, renew.

A claim leases the oldest ready keys of one level (on PostgreSQL with ``FOR UPDATE SKIP
LOCKED``, so concurrent workers never take the same key). Finishing deletes a key only
if its version did not move since the claim, otherwise releases it to run again; a
failure backs off exponentially and, after ``max_attempts``, moves the key to the dead
letters with its error. A worker whose lease expired and was taken over finds out when
it finishes (:class:`LeaseLost`) and must roll back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlmodel import Session

from memory.db import utcnow
from memory.queue import LEVELS, DeadKey, DirtyKey, in_list
from memory.sql import dialect_name, raw, raw_utc

CLAIM_ORDER = ("activity", "deal", "training", "account", "pipeline")
"""Levels in the order workers look for work: children before their parents."""

CHILD_LEVELS: dict[str, tuple[str, ...]] = {
    "activity": (),
    "deal": ("activity",),
    "training": ("activity", "deal"),
    "account": ("activity", "deal"),
    "pipeline": ("activity", "deal", "account"),
}
"""A key waits while any key of these levels is pending in its scope."""

SCOPE_COLUMN = {"deal": "deal_id", "training": "deal_id", "account": "account_id"}
"""Column holding a level's scope; the pipeline's scope is its whole org."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One leased key: what a worker must recompute, at which version."""

    key: str
    org_id: str
    level: str
    version: int
    attempts: int
    first_marked_at: datetime
    deal_id: str | None = None
    account_id: str | None = None

    @property
    def ident(self) -> str:
        """The id part of the key (a deal id, an account id, an org id...)."""
        return self.key.split(":", 1)[1]


def _table() -> Any:
    return DirtyKey.__table__  # type: ignore[attr-defined]


def claim(
    session: Session,
    *,
    owner: str,
    level: str,
    limit: int,
    lease_s: float,
    now: datetime | None = None,
    max_defer_s: float | None = None,
    marked_before: datetime | None = None,
) -> list[Claim]:
    """Lease up to ``limit`` ready keys of ``level`` to ``owner`` (oldest first).

    A key is ready when it is not in back-off, not leased (or its lease expired) and no
    key of a child level is pending in its scope (its deal, its account or its org), so
    parents never read stale children. ``max_defer_s`` lets a parent that has waited that
    long run anyway (``None``: wait for the children, however long). ``marked_before``
    only takes keys first marked before that instant. On PostgreSQL rows
    are taken with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never collide; on
    SQLite the caller must hold the write lock (``BEGIN IMMEDIATE``).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown queue level {level!r}; expected one of {LEVELS}")
    now = now or utcnow()
    dk = _table()
    cand = dk.alias("cand")
    conditions = [
        cand.c.level == level,
        or_(cand.c.not_before.is_(None), cand.c.not_before <= now),
        or_(cand.c.lease_until.is_(None), cand.c.lease_until < now),
    ]
    if marked_before is not None:
        conditions.append(cand.c.first_marked_at < marked_before)
    children = CHILD_LEVELS[level]
    if children:
        child = dk.alias("child")
        col = SCOPE_COLUMN.get(level, "org_id")
        blocked: Any = exists().where(child.c[col] == cand.c[col], child.c.level.in_(children))
        if col != "org_id":
            # A key without a scope (its record is unknown) has no children to wait for.
            blocked = and_(cand.c[col].is_not(None), blocked)
        gate: Any = ~blocked
        if max_defer_s is not None:
            gate = or_(gate, cand.c.first_marked_at < now - timedelta(seconds=max_defer_s))
        conditions.append(gate)
    picked = (
        select(cand.c.key).where(and_(*conditions)).order_by(cand.c.first_marked_at).limit(limit)
    )
    if dialect_name(session) == "postgresql":
        picked = picked.with_for_update(skip_locked=True, of=cand)
    stmt = (
        update(dk)
        .where(dk.c.key.in_(picked.scalar_subquery()))
        .values(
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_s),
            attempts=dk.c.attempts + 1,
            claimed_version=dk.c.version,
        )
        .returning(
            dk.c.key,
            dk.c.org_id,
            dk.c.version,
            dk.c.attempts,
            raw(dk.c.first_marked_at),  # parsed below: type processing per row is slow
            dk.c.deal_id,
            dk.c.account_id,
        )
    )
    claims = [
        Claim(
            key=k,
            org_id=o,
            level=level,
            version=v,
            attempts=a,
            first_marked_at=raw_utc(f),
            deal_id=d,
            account_id=acc,
        )
        for k, o, v, a, f, d, acc in session.execute(stmt)
    ]
    claims.sort(key=lambda c: (c.first_marked_at, c.key))
    return claims


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


class LeaseLost(RuntimeError):
    """Some claims are no longer held by this worker (its lease expired and was taken)."""


def owned(session: Session, *, owner: str, claims: Sequence[Claim]) -> list[Claim]:
    """Return the claims ``owner`` still holds."""
    if not claims:
        return []
    dk = _table()
    query = select(dk.c.key).where(
        in_list(session, dk.c.key, [c.key for c in claims]), dk.c.lease_owner == owner
    )
    held = {r[0] for r in session.execute(query)}
    return [c for c in claims if c.key in held]


def complete(session: Session, *, owner: str, claims: Sequence[Claim]) -> tuple[int, int]:
    """Finish ``claims``; return ``(done, rerun)`` counts.

    A key whose version is unchanged since it was claimed is deleted (its dead letters
    too). A key re-marked meanwhile is released, unleased with its attempts reset, so it
    runs again with the newer data.

    Raises:
        LeaseLost: a claim is no longer held; the caller must roll back (its result may
            be older than the new holder's) and retry with :func:`owned` claims only.
    """
    if not claims:
        return 0, 0
    dk = _table()
    keys = sorted(c.key for c in claims)
    mine = and_(in_list(session, dk.c.key, keys), dk.c.lease_owner == owner)
    done = _rowcount(session.execute(delete(dk).where(mine, dk.c.version == dk.c.claimed_version)))
    rerun = _rowcount(
        session.execute(
            update(dk)
            .where(mine)
            .values(lease_owner=None, lease_until=None, attempts=0, not_before=None)
        )
    )
    if done + rerun < len(keys):
        raise LeaseLost(f"{len(keys) - done - rerun} of {len(keys)} claims were taken over")
    dead = DeadKey.__table__  # type: ignore[attr-defined]
    if session.execute(select(dead.c.id).limit(1)).first() is not None:
        session.execute(delete(dead).where(in_list(session, dead.c.key, keys)))
    return int(done), int(rerun)


def fail(
    session: Session,
    *,
    owner: str,
    claim_: Claim,
    error: str,
    max_attempts: int,
    backoff_s: float,
    backoff_max_s: float,
    now: datetime | None = None,
) -> bool:
    """Record a failed attempt; return True if the key moved to the dead letters.

    Below ``max_attempts`` the key is released with ``not_before`` set by exponential
    back-off (``backoff_s * 2**(attempts-1)``, capped at ``backoff_max_s``).
    """
    now = now or utcnow()
    dk = _table()
    row = session.execute(
        select(dk.c.attempts, dk.c.version, dk.c.first_marked_at).where(
            dk.c.key == claim_.key, dk.c.lease_owner == owner
        )
    ).first()
    if row is None:
        return False  # lease lost: whoever holds the key now decides
    attempts, version, first_marked_at = row
    error = error[-4000:]
    if attempts >= max_attempts:
        session.execute(delete(dk).where(dk.c.key == claim_.key))
        session.add(
            DeadKey(
                key=claim_.key,
                org_id=claim_.org_id,
                level=claim_.level,
                version=version,
                attempts=attempts,
                error=error,
                first_marked_at=first_marked_at,
                failed_at=now,
            )
        )
        return True
    delay = min(backoff_s * 2 ** max(attempts - 1, 0), backoff_max_s)
    session.execute(
        update(dk)
        .where(dk.c.key == claim_.key)
        .values(
            lease_owner=None,
            lease_until=None,
            not_before=now + timedelta(seconds=delay),
            last_error=error,
        )
    )
    return False


def renew(
    session: Session,
    *,
    owner: str,
    keys: Sequence[str],
    lease_s: float,
    now: datetime | None = None,
) -> int:
    """Extend ``owner``'s lease on ``keys``; returns how many are still held."""
    if not keys:
        return 0
    now = now or utcnow()
    dk = _table()
    result = session.execute(
        update(dk)
        .where(in_list(session, dk.c.key, keys), dk.c.lease_owner == owner)
        .values(lease_until=now + timedelta(seconds=lease_s))
    )
    return _rowcount(result)
