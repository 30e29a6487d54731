"""The worker side of the dirty-key queue, second half: settling leased keys.

Finishing deletes a key only if its version did not move since the claim, otherwise
releases it to run again; a failure backs off exponentially and, after ``max_attempts``,
moves the key to the dead letters with its error. A worker whose lease expired and was
taken over finds out when it finishes (:class:`LeaseLost`) and must roll back. Keys are
handed out by :mod:`agent.cascade.leases`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, update
from sqlmodel import Session

from agent.cascade.leases import Claim
from memory.db import utcnow
from memory.queue import DeadKey, DirtyKey, in_list
from memory.sql import dialect_name


def _table() -> Any:
    return DirtyKey.__table__  # type: ignore[attr-defined]


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
    dead = DeadKey.__table__  # type: ignore[attr-defined]
    keys = sorted(c.key for c in claims)
    mine = and_(in_list(session, dk.c.key, keys), dk.c.lease_owner == owner)
    finished = delete(dk).where(mine, dk.c.version == dk.c.claimed_version)
    any_dead: bool
    if dialect_name(session) == "postgresql":
        # One round trip: the delete, its count and whether any dead letter exists.
        gone = finished.returning(dk.c.key).cte("gone")
        query = select(
            select(func.count()).select_from(gone).scalar_subquery(),
            exists(select(dead.c.id)),
        )
        count, any_dead = session.execute(query).one()
        done = int(count)
    else:
        done = _rowcount(session.execute(finished))
        any_dead = session.execute(select(dead.c.id).limit(1)).first() is not None
    rerun = 0
    if done < len(keys):  # some keys were re-marked meanwhile (or taken over)
        released = (
            update(dk)
            .where(mine)
            .values(lease_owner=None, lease_until=None, attempts=0, not_before=None)
        )
        rerun = _rowcount(session.execute(released))
    if done + rerun < len(keys):
        raise LeaseLost(f"{len(keys) - done - rerun} of {len(keys)} claims were taken over")
    if any_dead:
        session.execute(delete(dead).where(in_list(session, dead.c.key, keys)))
    return done, rerun


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
