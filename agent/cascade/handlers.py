"""The built-in handler of each cascade level.

activity -> signals (the optional extractor) -> marks its deal; deal -> health roll-up
(and score, with a scorer) -> marks its account, and its training snapshot when it just
closed; account -> roll-up of its deals -> marks the pipeline; pipeline -> roll-up of the
org's accounts. Reading, arithmetic and scoring happen in ``prepare``; ``apply`` only
writes (deal scores go to the score recorder there, so they commit with their roll-up).
Every handler is idempotent: running it twice on the same inputs writes the same rows
(score history, being a history, gets one more row per scoring).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from agent.cascade.context import (
    ActivityText,
    CascadeContext,
    DealScore,
    HandlerResult,
    scorer_version,
)
from agent.cascade.health import compute_health, stage_order
from agent.cascade.leases import Claim
from agent.cascade.rollups import account_row, deal_row, pipeline_row
from memory.asof import deal_as_of
from memory.db import utcnow
from memory.derived import AccountRollup, DealRollup, PipelineRollup, TrainingSnapshot, upsert_rows
from memory.ingest import ingest
from memory.models import Account, Activity, ActivitySignal
from memory.queue import org_is
from memory.sql import upsert_insert
from memory.timeline import deal_velocity

Rows = dict[str, dict[str, Any]]


def _idents(claims: Sequence[Claim]) -> list[str]:
    return [c.ident for c in claims]


def _upsert_claimed(session: Session, model: Any, prepared: Rows, claims: Sequence[Claim]) -> Rows:
    rows = {c.ident: prepared[c.ident] for c in claims if c.ident in prepared}
    upsert_rows(session, model, list(rows.values()))
    return rows


# --- activity -------------------------------------------------------------------------


def prepare_activities(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim]
) -> Any:
    """Extract signals of activities this extractor has not seen with this content."""
    if ctx.extractor is None:
        return []
    ids = _idents(claims)
    act = Activity.__table__  # type: ignore[attr-defined]
    sig = ActivitySignal.__table__  # type: ignore[attr-defined]
    done = set(
        session.execute(
            select(sig.c.activity_id, sig.c.content_hash).where(
                sig.c.activity_id.in_(ids), sig.c.extractor == ctx.extractor.name
            )
        ).tuples()
    )
    texts = [
        ActivityText(
            activity_id=r.id,
            org_id=r.org_id,
            deal_id=r.deal_id,
            kind=r.kind,
            subject=r.subject,
            body=r.body,
            participants=list(r.participants or []),
            direction=r.direction,
            occurred_at=r.occurred_at,
            content_hash=r.content_hash,
        )
        for r in session.execute(select(act).where(act.c.id.in_(ids), org_is(act.c.org_id, org_id)))
        if (r.id, r.content_hash) not in done
    ]
    if not texts:
        return []
    name = ctx.extractor.name
    payloads = ctx.extractor.extract(texts)
    if len(payloads) != len(texts):
        raise ValueError(
            f"extractor {name!r} returned {len(payloads)} payloads for {len(texts)} activities"
        )
    recorded = ctx.clock()
    return [
        {"org_id": t.org_id, "activity_id": t.activity_id, "deal_id": t.deal_id}
        | {"content_hash": t.content_hash, "extractor": name, "payload": p}
        | {"valid_from": t.occurred_at, "recorded_at": recorded}
        for t, p in zip(texts, payloads, strict=True)
    ]


def apply_activities(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim], prepared: Any
) -> HandlerResult:
    """Store extracted signals and mark each activity's deal (or its account) dirty."""
    if prepared:  # nothing extracted (the usual case without an extractor): no set to build
        held = {c.ident for c in claims}
        signals = [s for s in prepared if s["activity_id"] in held]
        if signals:
            ingest(session, signals=signals)
    result = HandlerResult()
    for c in claims:
        if c.deal_id:
            result.mark(f"deal:{c.deal_id}", deal_id=c.deal_id, account_id=c.account_id)
        elif c.account_id:
            result.mark(f"account:{c.account_id}", account_id=c.account_id)
    return result


# --- deal -----------------------------------------------------------------------------


class PreparedDeals(dict[str, dict[str, Any]]):
    """Deal roll-up rows by deal id (what ``apply_deals`` writes), and the scores behind them.

    A plain ``Rows`` dict is accepted by ``apply_deals`` too (nothing is recorded then), so
    a replacement ``prepare`` may keep returning rows.
    """

    def __init__(self, rows: Rows, scores: dict[str, DealScore]) -> None:
        super().__init__(rows)
        self.scores = scores


def prepare_deals(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim]
) -> PreparedDeals:
    """Compute each deal's health row as of the context's clock (and its score)."""
    as_of = ctx.clock()
    model_version = scorer_version(ctx.scorer, session, org_id)
    healths = compute_health(
        session, org_id=org_id, deal_ids=_idents(claims), as_of=as_of, model_version=model_version
    )
    scores = (
        dict(ctx.scorer.score(session, org_id=org_id, deal_ids=sorted(healths), as_of=as_of))
        if ctx.scorer is not None and model_version is not None and healths
        else {}
    )
    stages = stage_order(session, org_id)
    rows = {
        deal_id: deal_row(
            h,
            stages=stages,
            as_of=as_of,
            now=utcnow(),
            stale_buyer_days=ctx.settings.stale_buyer_days,
            score=scores.get(deal_id),
        )
        for deal_id, h in healths.items()
    }
    return PreparedDeals(rows, scores)


def apply_deals(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim], prepared: Rows
) -> HandlerResult:
    """Write deal roll-ups and record their scores; mark each account, and training on close.

    Scores are recorded here, in the write transaction, and only for the deals still held.
    """
    r = DealRollup.__table__  # type: ignore[attr-defined]
    ids = [c.ident for c in claims if c.ident in prepared]
    previous = dict(
        session.execute(select(r.c.deal_id, r.c.closed_at).where(r.c.deal_id.in_(ids)))
        .tuples()
        .all()
    )
    rows = _upsert_claimed(session, DealRollup, prepared, claims)
    scores = prepared.scores if isinstance(prepared, PreparedDeals) else {}
    if ctx.score_recorder is not None:
        held = {d: scores[d] for d in sorted(rows) if d in scores}
        if held:
            ctx.score_recorder(session, org_id=org_id, scores=held)
    result = HandlerResult()
    for deal_id, row in sorted(rows.items()):
        result.mark(f"account:{row['account_id']}", account_id=row["account_id"])
        if row["closed_at"] is not None and previous.get(deal_id) != row["closed_at"]:
            result.mark(f"training:{deal_id}", deal_id=deal_id, account_id=row["account_id"])
    return result


# --- training -------------------------------------------------------------------------


def prepare_training(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim]
) -> Rows:
    """Snapshot each closed deal as Keel knew it when it learned of the close."""
    healths = compute_health(session, org_id=org_id, deal_ids=_idents(claims), as_of=ctx.clock())
    rows: Rows = {}
    for deal_id, h in sorted(healths.items()):
        if h.closed_at is None or h.close_known_at is None:
            continue  # reopened since it was marked
        known_at = max(h.closed_at, h.close_known_at)
        at = h.closed_at
        state = deal_as_of(session, org_id=org_id, deal_id=deal_id, as_of=at, known_at=known_at)
        velocity = deal_velocity(
            session, org_id=org_id, deal_id=deal_id, as_of=at, known_at=known_at
        )
        rows[deal_id] = {
            "org_id": org_id,
            "deal_id": deal_id,
            "outcome": "won" if h.fields.get("stage") == "closed_won" else "lost",
            "closed_at": h.closed_at,
            "known_at": known_at,
            "state": state.as_dict() if state else {},
            "velocity": velocity.as_dict() if velocity else {},
            "created_at": utcnow(),
        }
    return rows


def apply_training(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim], prepared: Rows
) -> HandlerResult:
    """Upsert the snapshots (one per deal and close); then the pluggable snapshot writer."""
    rows = [prepared[c.ident] for c in claims if c.ident in prepared]
    if rows:
        table = TrainingSnapshot.__table__  # type: ignore[attr-defined]
        stmt = upsert_insert(session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["deal_id", "closed_at"],
            set_={c: stmt.excluded[c] for c in ("outcome", "known_at", "state", "velocity")},
        )
        session.execute(stmt, rows)
        if ctx.snapshot_writer is not None:
            ctx.snapshot_writer(session, org_id=org_id, deal_ids=[r["deal_id"] for r in rows])
    return HandlerResult()


# --- account --------------------------------------------------------------------------


def deal_rows_of_accounts(
    session: Session, account_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Stored deal roll-ups of each account, in deal-id order."""
    r = DealRollup.__table__  # type: ignore[attr-defined]
    out: dict[str, list[dict[str, Any]]] = {a: [] for a in account_ids}
    query = select(r).where(r.c.account_id.in_(list(account_ids))).order_by(r.c.deal_id)
    for row in session.execute(query).mappings():
        out[row["account_id"]].append(dict(row))
    return out


def direct_activities(session: Session, account_ids: Sequence[str]) -> dict[str, tuple[int, Any]]:
    """``(count, newest recorded_at)`` of each account's activities not tied to a deal."""
    act = Activity.__table__  # type: ignore[attr-defined]
    query = (
        select(act.c.account_id, func.count(), func.max(act.c.recorded_at))
        .where(act.c.account_id.in_(list(account_ids)), act.c.deal_id.is_(None))
        .group_by(act.c.account_id)
    )
    return {a: (int(n), top) for a, n, top in session.execute(query)}


def prepare_accounts(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim]
) -> Rows:
    """Roll each account's stored deal roll-ups up."""
    acc = Account.__table__  # type: ignore[attr-defined]
    known = list(
        session.execute(
            select(acc.c.id).where(acc.c.id.in_(_idents(claims)), org_is(acc.c.org_id, org_id))
        ).scalars()
    )
    deals = deal_rows_of_accounts(session, known)
    direct = direct_activities(session, known)
    now = utcnow()
    return {
        a: account_row(
            account_id=a,
            org_id=org_id,
            deals=deals[a],
            direct_activities=direct.get(a, (0, None)),
            now=now,
        )
        for a in known
    }


def apply_accounts(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim], prepared: Rows
) -> HandlerResult:
    """Write account roll-ups; mark the org's pipeline."""
    result = HandlerResult()
    if _upsert_claimed(session, AccountRollup, prepared, claims):
        result.mark(f"pipeline:{org_id}")
    return result


# --- pipeline -------------------------------------------------------------------------


def stored_accounts(session: Session, org_id: str) -> Iterator[dict[str, Any]]:
    """Stream the org's account roll-ups in account-id order (bounded memory)."""
    r = AccountRollup.__table__  # type: ignore[attr-defined]
    query = select(r).where(r.c.org_id == org_id).order_by(r.c.account_id)
    for row in session.execute(query.execution_options(yield_per=1000)).mappings():
        yield dict(row)


def prepare_pipeline(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim]
) -> Rows:
    """Roll the org's accounts up (by stage and forecast category)."""
    for c in claims:
        if c.ident != org_id:
            raise ValueError(f"pipeline key {c.key!r} does not name its own org {org_id!r}")
    return {
        org_id: pipeline_row(org_id=org_id, accounts=stored_accounts(session, org_id), now=utcnow())
    }


def apply_pipeline(
    ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim], prepared: Rows
) -> HandlerResult:
    """Write the pipeline roll-up."""
    _upsert_claimed(session, PipelineRollup, prepared, claims)
    return HandlerResult()
