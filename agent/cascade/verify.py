"""From-scratch recompute of an org's derived state, and its difference from what is stored.

Used by the crash and concurrency tests and by the benchmark: after the queue drains,
every stored roll-up must equal what the same arithmetic gives when run over the whole
store at once, child before parent, with nothing read from earlier roll-ups.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from agent.cascade.context import DealScorer, scorer_version
from agent.cascade.handlers import direct_activities
from agent.cascade.health import compute_health, stage_order
from agent.cascade.rollups import account_row, deal_row, pipeline_row
from memory.derived import AccountRollup, DealRollup, PipelineRollup
from memory.models import Activity, Deal

IGNORED = frozenset({"computed_at"})
"""Bookkeeping columns that legitimately differ between two computations."""

CHUNK = 500


def recompute_from_scratch(
    session: Session,
    *,
    org_id: str,
    as_of: datetime,
    stale_buyer_days: float = 14.0,
    scorer: DealScorer | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Compute every deal, account and pipeline row of ``org_id`` from the raw store."""
    d = Deal.__table__  # type: ignore[attr-defined]
    act = Activity.__table__  # type: ignore[attr-defined]
    ids = [
        i for (i,) in session.execute(select(d.c.id).where(d.c.org_id == org_id).order_by(d.c.id))
    ]
    stages = stage_order(session, org_id)
    model_version = scorer_version(scorer, session, org_id)
    deals: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        healths = compute_health(
            session, org_id=org_id, deal_ids=chunk, as_of=as_of, model_version=model_version
        )
        scores = (
            scorer.score(session, org_id=org_id, deal_ids=sorted(healths), as_of=as_of)
            if scorer is not None and model_version is not None and healths
            else {}
        )
        for deal_id, h in healths.items():
            deals[deal_id] = deal_row(
                h,
                stages=stages,
                as_of=as_of,
                now=as_of,
                stale_buyer_days=stale_buyer_days,
                score=scores.get(deal_id),
            )
    by_account: dict[str, list[dict[str, Any]]] = {}
    for row in deals.values():
        by_account.setdefault(row["account_id"], []).append(row)
    loose = select(act.c.account_id).where(
        act.c.org_id == org_id, act.c.deal_id.is_(None), act.c.account_id.is_not(None)
    )
    account_ids = sorted(set(by_account) | {a for (a,) in session.execute(loose.distinct())})
    direct = direct_activities(session, account_ids)
    accounts = {
        a: account_row(
            account_id=a,
            org_id=org_id,
            deals=by_account.get(a, []),
            direct_activities=direct.get(a, (0, None)),
            now=as_of,
        )
        for a in account_ids
    }
    pipeline = pipeline_row(
        org_id=org_id, accounts=[accounts[a] for a in sorted(accounts)], now=as_of
    )
    return {"deal": deals, "account": accounts, "pipeline": {org_id: pipeline} if accounts else {}}


def stored_derived(session: Session, *, org_id: str) -> dict[str, dict[str, dict[str, Any]]]:
    """The derived rows stored for ``org_id``, keyed like :func:`recompute_from_scratch`."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    tables: list[tuple[str, Any, str]] = [
        ("deal", DealRollup.__table__, "deal_id"),  # type: ignore[attr-defined]
        ("account", AccountRollup.__table__, "account_id"),  # type: ignore[attr-defined]
        ("pipeline", PipelineRollup.__table__, "org_id"),  # type: ignore[attr-defined]
    ]
    for level, table, pk in tables:
        rows = session.execute(select(table).where(table.c.org_id == org_id)).mappings()
        out[level] = {r[pk]: dict(r) for r in rows}
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def diff_derived(
    session: Session,
    *,
    org_id: str,
    as_of: datetime,
    stale_buyer_days: float = 14.0,
    scorer: DealScorer | None = None,
    limit: int = 20,
) -> list[str]:
    """Return how stored roll-ups differ from a from-scratch recompute (empty = equal)."""
    expected = recompute_from_scratch(
        session, org_id=org_id, as_of=as_of, stale_buyer_days=stale_buyer_days, scorer=scorer
    )
    stored = stored_derived(session, org_id=org_id)
    problems: list[str] = []
    for level, rows in expected.items():
        have = stored.get(level, {})
        for key in sorted(set(rows) | set(have)):
            if key not in have:
                problems.append(f"{level}:{key} missing")
            elif key not in rows:
                problems.append(f"{level}:{key} stored but not expected")
            else:
                for col, want in rows[key].items():
                    if col in IGNORED:
                        continue
                    got = have[key].get(col)
                    if _norm(got) != _norm(want):
                        problems.append(
                            f"{level}:{key}.{col}: stored {got!r} != recomputed {want!r}"
                        )
            if len(problems) >= limit:
                return problems
    return problems
