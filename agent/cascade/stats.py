"""Counters of the cascade: in-process per worker, and running totals in the database.

Recomputes, reruns, failures and lag per level; the database totals (one
:class:`~memory.derived.CascadeStat` row per worker and level) are what ``keel queue``
shows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from memory.db import utcnow
from memory.derived import CascadeStat
from memory.sql import dialect_name, upsert_insert

RESERVOIR = 5000
"""Lag samples kept per level (uniform reservoir sample, so memory stays bounded)."""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(int(round(q * (len(ordered) - 1))), len(ordered) - 1)]


@dataclass
class LevelStats:
    """Counters of one level."""

    recomputes: int = 0
    reruns: int = 0
    failures: int = 0
    dead: int = 0
    lost_leases: int = 0
    batches: int = 0
    lag_seen: int = 0
    lag_ms: list[float] = field(default_factory=list)

    def add_lag(self, values: list[float], rng: random.Random) -> None:
        """Add lag samples, keeping a uniform sample of at most ``RESERVOIR``."""
        room = RESERVOIR - len(self.lag_ms)
        if room > 0:
            self.lag_ms.extend(values[:room])
            self.lag_seen += min(room, len(values))
            values = values[room:]
        draw = rng.random
        for v in values:
            self.lag_seen += 1
            j = int(draw() * self.lag_seen)  # uniform in [0, lag_seen)
            if j < RESERVOIR:
                self.lag_ms[j] = v

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "recomputes": self.recomputes,
            "reruns": self.reruns,
            "failures": self.failures,
            "dead": self.dead,
            "lost_leases": self.lost_leases,
            "batches": self.batches,
            "lag_p50_ms": round(percentile(self.lag_ms, 0.5), 1),
            "lag_p99_ms": round(percentile(self.lag_ms, 0.99), 1),
        }


@dataclass
class WorkerStats:
    """Counters of one worker (or several, merged)."""

    levels: dict[str, LevelStats] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(0), repr=False)

    def level(self, name: str) -> LevelStats:
        """The counters of level ``name`` (created on first use)."""
        return self.levels.setdefault(name, LevelStats())

    def merge(self, other: WorkerStats) -> None:
        """Add another worker's counters into these."""
        for name, s in other.levels.items():
            mine = self.level(name)
            for attr in ("recomputes", "reruns", "failures", "dead", "lost_leases", "batches"):
                setattr(mine, attr, getattr(mine, attr) + getattr(s, attr))
            mine.add_lag(s.lag_ms, self.rng)

    @property
    def recomputes(self) -> int:
        """Keys recomputed, all levels."""
        return sum(s.recomputes for s in self.levels.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary by level."""
        return {name: s.as_dict() for name, s in sorted(self.levels.items())}


def record_stats(
    session: Session,
    *,
    owner: str,
    level: str,
    recomputes: int = 0,
    reruns: int = 0,
    failures: int = 0,
    dead: int = 0,
    lag_ms: Sequence[float] = (),
    now: datetime | None = None,
) -> None:
    """Add one batch's counts to ``owner``'s running totals for ``level``."""
    table = CascadeStat.__table__  # type: ignore[attr-defined]
    row = {
        "owner": owner,
        "level": level,
        "recomputes": recomputes,
        "reruns": reruns,
        "failures": failures,
        "dead": dead,
        "lag_ms_sum": float(sum(lag_ms)),
        "lag_ms_max": float(max(lag_ms, default=0.0)),
        "updated_at": now or utcnow(),
    }
    stmt = upsert_insert(session, table)
    ex = stmt.excluded
    greatest = func.max if dialect_name(session) == "sqlite" else func.greatest
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.owner, table.c.level],
        set_={
            "recomputes": table.c.recomputes + ex.recomputes,
            "reruns": table.c.reruns + ex.reruns,
            "failures": table.c.failures + ex.failures,
            "dead": table.c.dead + ex.dead,
            "lag_ms_sum": table.c.lag_ms_sum + ex.lag_ms_sum,
            "lag_ms_max": greatest(table.c.lag_ms_max, ex.lag_ms_max),
            "updated_at": ex.updated_at,
        },
    )
    session.execute(stmt, [row])


def recompute_totals(session: Session) -> dict[str, dict[str, float]]:
    """Recompute counters summed over every worker, by level."""
    t = CascadeStat.__table__  # type: ignore[attr-defined]
    query = select(
        t.c.level,
        func.sum(t.c.recomputes),
        func.sum(t.c.reruns),
        func.sum(t.c.failures),
        func.sum(t.c.dead),
        func.sum(t.c.lag_ms_sum),
        func.max(t.c.lag_ms_max),
    ).group_by(t.c.level)
    out: dict[str, dict[str, float]] = {}
    for level, rec, rerun, fails, dead, lag_sum, lag_max in session.execute(query):
        rec = int(rec or 0)
        out[level] = {
            "recomputes": rec,
            "reruns": int(rerun or 0),
            "failures": int(fails or 0),
            "dead": int(dead or 0),
            "lag_ms_avg": round(float(lag_sum or 0) / rec, 1) if rec else 0.0,
            "lag_ms_max": round(float(lag_max or 0), 1),
        }
    return out
