"""The worker side of the dirty-key queue, first half: which keys a worker gets.

A claim leases the oldest ready keys of one level (on PostgreSQL with ``FOR UPDATE SKIP
LOCKED``, so concurrent workers never take the same key); a take picks them the same way
and deletes them in the caller's transaction (work that needs no lease). What happens
to a leased key afterwards (finish, fail, renew) is :mod:`agent.cascade.settle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlmodel import Session

from memory.db import UTCDateTime, utcnow
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


def children_gate(level: str) -> bool:
    """True if keys of ``level`` wait for pending keys of child levels in their scope."""
    return bool(CHILD_LEVELS[level])


def _ready_keys(dialect: str, level: str, *, deferrable: bool, before: bool) -> Any:
    """``dirty_key.key`` matches the oldest ready keys of ``level`` (parameters bound later).

    Parameters: ``now``, ``lim`` and, by shape, ``defer_before`` and ``marked_before``.
    """
    dk = _table()
    cand = dk.alias("cand")
    now = bindparam("now", type_=UTCDateTime)
    conditions = [
        cand.c.level == level,
        or_(cand.c.not_before.is_(None), cand.c.not_before <= now),
        or_(cand.c.lease_until.is_(None), cand.c.lease_until < now),
    ]
    if before:
        conditions.append(cand.c.first_marked_at < bindparam("marked_before", type_=UTCDateTime))
    children = CHILD_LEVELS[level]
    if children:
        child = dk.alias("child")
        col = SCOPE_COLUMN.get(level, "org_id")
        # Children share their parent's org; naming it lets the org-led scope indexes
        # answer every gate (see ``DirtyKey``).
        same: Any = child.c.org_id == cand.c.org_id
        if col != "org_id":
            same = and_(same, child.c[col] == cand.c[col])
        blocked: Any = exists().where(same, child.c.level.in_(children))
        if col != "org_id":
            # A key without a scope (its record is unknown) has no children to wait for.
            blocked = and_(cand.c[col].is_not(None), blocked)
        gate: Any = ~blocked
        if deferrable:
            defer_before = bindparam("defer_before", type_=UTCDateTime)
            gate = or_(gate, cand.c.first_marked_at < defer_before)
        conditions.append(gate)
    picked = (
        select(cand.c.key)
        .where(and_(*conditions))
        .order_by(cand.c.first_marked_at)
        .limit(bindparam("lim", type_=Integer))
    )
    if dialect == "postgresql":
        picked = picked.with_for_update(skip_locked=True, of=cand)
    if dialect == "postgresql":
        # ``= ANY(ARRAY(...))``: the picked keys are found once, then fetched by primary
        # key; ``IN (...)`` let the planner hash-join a scan of the whole queue.
        return dk.c.key == any_(func.array(picked.scalar_subquery()))
    return dk.c.key.in_(picked.scalar_subquery())


@lru_cache(maxsize=64)
def _claim_statement(dialect: str, level: str, *, deferrable: bool, before: bool) -> Any:
    """The claim ``UPDATE ... RETURNING`` for one level, built once (parameters bound later).

    Built per shape and reused, so a poll does not rebuild the query and SQLAlchemy
    finds its compiled form in the cache. Parameters: those of :func:`_ready_keys`,
    ``lease_until`` and ``owner``.
    """
    dk = _table()
    return (
        update(dk)
        .where(_ready_keys(dialect, level, deferrable=deferrable, before=before))
        .values(
            lease_owner=bindparam("owner", type_=String),
            lease_until=bindparam("lease_until", type_=UTCDateTime),
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


@lru_cache(maxsize=4)
def _take_statement(dialect: str, level: str) -> Any:
    """The ``DELETE ... RETURNING`` of :func:`take` (on PostgreSQL, with any dead letter)."""
    dk = _table()
    dead = DeadKey.__table__  # type: ignore[attr-defined]
    gone = (
        delete(dk)
        .where(_ready_keys(dialect, level, deferrable=False, before=False))
        .returning(
            dk.c.key,
            dk.c.org_id,
            dk.c.version,
            dk.c.attempts,
            raw(dk.c.first_marked_at),
            dk.c.deal_id,
            dk.c.account_id,
        )
    )
    if dialect != "postgresql":
        return gone  # SQLite has no data-modifying CTE: the dead letters are a second read
    # One round trip: the delete, its rows and whether any dead letter exists.
    gone_cte = gone.cte("gone")
    return select(gone_cte, exists(select(dead.c.id)).label("any_dead"))


@lru_cache(maxsize=4)
def _ready_statement(dialect: str) -> Any:
    dk = _table()
    now = bindparam("now", type_=UTCDateTime)
    return (
        select(dk.c.key)
        .where(
            or_(dk.c.lease_until.is_(None), dk.c.lease_until < now),
            or_(dk.c.not_before.is_(None), dk.c.not_before <= now),
        )
        .limit(1)
    )


def steer_claim_plans(session: Session, *, async_commit: bool = False) -> None:
    """On PostgreSQL, make this transaction's claims walk the claim index in order.

    A queue table's statistics are always stale (rows come and go by the thousand
    between autovacuum runs), and with them the planner picks a bitmap scan that reads
    and sorts every ready key of the level for each claim: a cost that grows with the
    backlog. Without sorts and bitmap scans it reads ``ix_dirty_key_claim`` in order and
    stops at the batch size. ``SET LOCAL``: it ends with the transaction. With
    ``async_commit`` the claim also commits without waiting for the WAL flush (a claim
    lost in a server crash leaves its keys unleased: they are simply claimed again).
    """
    if dialect_name(session) == "postgresql":
        session.execute(_STEER_ASYNC if async_commit else _STEER)


_STEER = select(
    func.set_config("enable_sort", "off", True),
    func.set_config("enable_bitmapscan", "off", True),
)
_UNSTEER = select(
    func.set_config("enable_sort", "on", True),
    func.set_config("enable_bitmapscan", "on", True),
)
_STEER_ASYNC = select(
    func.set_config("enable_sort", "off", True),
    func.set_config("enable_bitmapscan", "off", True),
    func.set_config("synchronous_commit", "off", True),
)


def any_ready(session: Session, *, now: datetime | None = None) -> bool:
    """True if some key is neither leased nor in back-off: a cheap check before claiming.

    Every claim takes only such keys, so ``False`` means no claim of any level can find
    work (an idle worker's poll is one short query instead of a claim per level).
    """
    stmt = _ready_statement(dialect_name(session))
    return session.execute(stmt, {"now": now or utcnow()}).first() is not None


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
    deferrable = children_gate(level) and max_defer_s is not None
    stmt = _claim_statement(
        dialect_name(session), level, deferrable=deferrable, before=marked_before is not None
    )
    params: dict[str, Any] = {
        "now": now,
        "lease_until": now + timedelta(seconds=lease_s),
        "owner": owner,
        "lim": limit,
    }
    if deferrable and max_defer_s is not None:
        params["defer_before"] = now - timedelta(seconds=max_defer_s)
    if marked_before is not None:
        params["marked_before"] = marked_before
    return _claims(session.execute(stmt, params).all(), level)


def _claims(rows: Sequence[Any], level: str, *, attempts_added: int = 0) -> list[Claim]:
    """Claims from (key, org, version, attempts, first marked, deal, account) rows, oldest first."""
    claims = [
        Claim(
            key=k,
            org_id=o,
            level=level,
            version=v,
            attempts=a + attempts_added,
            first_marked_at=raw_utc(f),
            deal_id=d,
            account_id=acc,
        )
        for k, o, v, a, f, d, acc in rows
    ]
    claims.sort(key=lambda c: (c.first_marked_at, c.key))
    return claims


def take(session: Session, *, level: str, limit: int, now: datetime | None = None) -> list[Claim]:
    """Claim and finish up to ``limit`` ready keys of a level without children at once.

    For work done entirely inside the caller's write transaction (an activity key whose
    handler only marks its deal): the keys are picked as :func:`claim` picks them, then
    deleted (their dead letters too) instead of leased. Until the caller commits, the
    rows are locked, so neither another worker nor a writer's re-mark can slip between
    the pick and the delete (a re-mark waits, then inserts the key anew); a rollback or
    a crash leaves the keys as they were, ready at once. Returned claims carry
    ``attempts`` + 1, as a lease would have. On PostgreSQL the planner settings of
    :func:`steer_claim_plans` are switched back on after the delete: they suit claims only.
    """
    if children_gate(level):
        raise ValueError(f"level {level!r} waits for children; take() cannot gate it")
    now = now or utcnow()
    dialect = dialect_name(session)
    dead = DeadKey.__table__  # type: ignore[attr-defined]
    rows: list[Any] = list(
        session.execute(_take_statement(dialect, level), {"now": now, "lim": limit})
    )
    if dialect == "postgresql":
        any_dead = bool(rows) and bool(rows[0][-1])
        rows = [r[:-1] for r in rows]
    else:
        any_dead = bool(rows) and session.execute(select(dead.c.id).limit(1)).first() is not None
    claims = _claims(rows, level, attempts_added=1)
    if rows and dialect == "postgresql":
        # The caller writes next (deal marks); steered plans make those ~4x as costly.
        session.execute(_UNSTEER)
    if any_dead:
        keys = sorted(c.key for c in claims)
        session.execute(delete(dead).where(in_list(session, dead.c.key, keys)))
    return claims
