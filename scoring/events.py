"""Bulk loading of everything Keel recorded about a set of deals, for point-in-time features.

A handful of set-based queries (deals, field changes, activities without bodies, signals,
accounts, the org's closes) load the raw bitemporal records once; features for any
instant are then computed in memory by filtering on valid *and* recorded time. Times are
kept as float seconds since the epoch so the per-instant filters are cheap.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from memory.models import (
    CLOSED_LOST,
    CLOSED_WON,
    DEFAULT_STAGES,
    Account,
    Deal,
    Org,
)
from scoring.event_reads import (
    Chunk,
    DealRange,
    changes_by_deal,
    changes_query,
    read_activities,
    read_deals,
    read_signals,
    sort_events,
    value_decoder,
)
from scoring.event_records import (
    ActivityRow,
    Change,
    Close,
    DealEvents,
    OrgEvents,
    Seconds,
    secs,
    to_datetime,
)
from scoring.sqlfast import EPSILON, decode_text, fetch_rows

__all__ = [
    "BIG_SET",
    "ActivityRow",
    "Change",
    "Close",
    "DealEvents",
    "DealRange",
    "OrgEvents",
    "Seconds",
    "decode_payload",
    "deal_count",
    "deal_created",
    "load_deals",
    "load_org",
    "load_pipeline",
    "secs",
    "to_datetime",
    "value_decoder",
]

_CHUNK = 5000
_ORG_FIELDS = ("stage", "owner_id")
"""The fields the org-wide context (closes, stages at an instant) is built from."""


def _in_chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


BIG_SET = 2000
"""Above this many deals, rows are read by org and filtered in memory (one scan, no IN)."""


def _org_basics(
    session: Session, org_id: str, conv: Seconds
) -> tuple[list[str], dict[str, tuple[str | None, str | None, str | None, float]]]:
    """The org's stage order and each account's attributes with their recorded time."""
    org = session.get(Org, org_id)
    stages = list(org.stages) if org is not None and org.stages else list(DEFAULT_STAGES)
    acc = Account.__table__  # type: ignore[attr-defined]
    query = select(acc.c.id, acc.c.segment, acc.c.industry, acc.c.region, acc.c.recorded_at).where(
        acc.c.org_id == org_id
    )
    accounts = {
        a: (seg, ind, reg, conv(rec)) for a, seg, ind, reg, rec in fetch_rows(session, query)
    }
    return stages, accounts


def _org_events(
    session: Session,
    org_id: str,
    per_deal: dict[str, list[Change]],
    until: float | None,
    conv: Seconds,
) -> OrgEvents:
    """Closes and stages at ``until`` from each deal's sorted changes (other fields skipped)."""
    stages, accounts = _org_basics(session, org_id, conv)
    limit = until + EPSILON if until is not None else None
    closes = []
    stage_at: dict[str, Any] = {}
    for deal_id, rows in per_deal.items():
        stage: Any = None
        owner: Any = None
        close: tuple[float, float, bool, Any] | None = None
        for valid, recorded, _cid, name, value in rows:
            if name == "owner_id":
                owner = value
                continue
            if name != "stage":
                continue
            if limit is not None and valid <= limit:
                stage_at[deal_id] = value
            if value == stage:
                continue
            stage = value
            if value in (CLOSED_WON, CLOSED_LOST):
                close = (valid, recorded, value == CLOSED_WON, owner)
            else:
                close = None
        if close is not None:
            closes.append(Close(deal_id, close[0], close[1], close[2], close[3]))
    closes.sort(key=lambda c: (c.known, c.deal_id))
    return OrgEvents(
        org_id=org_id, stages=stages, accounts=accounts, closes=closes, stage_at_until=stage_at
    )


def load_org(session: Session, *, org_id: str, until: float | None = None) -> OrgEvents:
    """Load the org's stage order, account attributes and closes known by ``until``.

    A close is the last change of a deal's stage into closed won/lost, if the deal has
    not been reopened since; its owner is the owner at that time.
    """
    conv = Seconds()
    limit = until + EPSILON if until is not None else float("inf")
    rows = fetch_rows(session, changes_query(org_id, None, fields=_ORG_FIELDS))
    per_deal = changes_by_deal(rows, conv, value_decoder(session), limit)
    return _org_events(session, org_id, per_deal, until, conv)


def load_pipeline(
    session: Session,
    *,
    org_id: str,
    until: float,
    deal_ids: Sequence[str] | None = None,
    extractors: Sequence[str] = (),
    span: DealRange | None = None,
) -> tuple[OrgEvents, dict[str, DealEvents]]:
    """:func:`load_org` and :func:`load_deals` at once, reading stage and owner rows once.

    The org-wide stage and owner changes that give the closes (and the open pipeline)
    also serve the deals' own histories; for more than :data:`BIG_SET` listed deals
    the other fields come from the same scan, otherwise they are read afterwards.

    Args:
        session: Open session.
        org_id: The org; rows of other orgs are never read.
        until: Drop records valid or recorded after this instant (seconds); signals are
            not cut (see :func:`load_deals`).
        deal_ids: Deals to load (default: the open ones at ``until``).
        extractors: Only signals of these extractors (empty = every extractor).
        span: Only the deals in this id range (the org-wide context is still read whole).
    """
    conv = Seconds()
    decode = value_decoder(session)
    limit = until + EPSILON
    listed = sorted(set(deal_ids)) if deal_ids is not None else None
    # The org index has no field column, so reading the stage and owner rows already
    # walks every change of the org. A big list would then walk it again for the other
    # fields: one scan of every field costs less (SQLite, 10k deals: 0.37 -> 0.28 CPU-s).
    # Not for the open pipeline, whose size is only known after the walk: when it is
    # small, the other fields of the closed deals would be read for nothing (measured
    # +20% on a 24-month org with 556 open deals), so it reads them afterwards.
    one_scan = listed is not None and len(listed) > BIG_SET
    rows = fetch_rows(
        session, changes_query(org_id, None, fields=None if one_scan else _ORG_FIELDS)
    )
    per_deal = changes_by_deal(rows, conv, decode, limit)
    del rows
    org = _org_events(session, org_id, per_deal, until, conv)
    ids = listed if listed is not None else org.open_deal_ids()
    chunks = _chunks(ids)
    if span is not None:
        ids = [i for i in ids if span.holds(i)]
        chunks = [span] if chunks == [None] else _chunks(ids)
    out = read_deals(session, org_id, chunks, set(ids), limit, conv)
    if not out:
        return org, out
    for deal_id, ev in out.items():
        changes = per_deal.get(deal_id)
        if changes:  # sorted by valid time: keep the prefix valid by ``limit``
            cut = bisect_right(changes, limit, key=itemgetter(0))
            ev.changes = changes if cut == len(changes) else changes[:cut]
    del per_deal
    if not one_scan:
        _append_changes(session, org_id, chunks, out, limit, conv, decode, ("name", *_ORG_FIELDS))
    read_activities(session, org_id, chunks, out, limit, conv)
    read_signals(session, org_id, chunks, out, extractors, conv)
    sort_events(out, changes=not one_scan)  # one scan's changes are sorted per deal
    return org, out


def _chunks(ids: list[str] | None) -> list[Chunk]:
    """Big sets are read by org (one scan, no huge IN list) and filtered in memory."""
    return [None] if ids is None or len(ids) > BIG_SET else list(_in_chunks(ids))


def _append_changes(
    session: Session,
    org_id: str,
    chunks: list[Chunk],
    out: dict[str, DealEvents],
    limit: float,
    conv: Seconds,
    decode: Any,
    skip: Sequence[str],
) -> None:
    """Append the changes (valid and recorded by ``limit``) of the deals in ``out``."""
    seconds = conv.__getitem__
    changes_of = {deal_id: ev.changes for deal_id, ev in out.items()}.get
    for chunk in chunks:
        for deal_id, valid, rec, cid, name, value in fetch_rows(
            session, changes_query(org_id, chunk, skip=skip)
        ):
            changes = changes_of(deal_id)
            if changes is None:
                continue
            v, r = seconds(valid), seconds(rec)
            if v <= limit and r <= limit:
                changes.append((v, r, cid, name, decode(value)))


def deal_count(session: Session, *, org_id: str) -> int:
    """Number of deals (open or closed) the org has."""
    d = Deal.__table__  # type: ignore[attr-defined]
    return int(session.execute(select(func.count()).where(d.c.org_id == org_id)).scalar_one())


def deal_created(session: Session, *, org_id: str) -> dict[str, float]:
    """Creation time (seconds) of every deal of the org."""
    d = Deal.__table__  # type: ignore[attr-defined]
    query = select(d.c.id, d.c.created_at).where(d.c.org_id == org_id)
    conv = Seconds()
    return {deal_id: conv(created) for deal_id, created in fetch_rows(session, query)}


def load_deals(
    session: Session,
    *,
    org_id: str,
    deal_ids: Sequence[str] | None = None,
    until: float | None = None,
    extractors: Sequence[str] = (),
) -> dict[str, DealEvents]:
    """Load the raw records of ``deal_ids`` (default: every deal of the org).

    Args:
        session: Open session.
        org_id: Org the deals belong to; rows of other orgs are never read.
        deal_ids: Deals to load (``None`` = all).
        until: If given, drop records valid or recorded after this instant (seconds);
            callers that only ever look at instants <= ``until`` save the reading.
            Signals are not cut (a later extraction may backfill an earlier activity).
        extractors: Only signals of these extractors (empty = every extractor).
    """
    ids = sorted(set(deal_ids)) if deal_ids is not None else None
    chunks = _chunks(ids)
    limit = until + EPSILON if until is not None else float("inf")
    conv = Seconds()
    out = read_deals(session, org_id, chunks, set(ids) if ids is not None else None, limit, conv)
    if not out:
        return out
    decode = value_decoder(session)
    _append_changes(session, org_id, chunks, out, limit, conv, decode, ("name",))
    read_activities(session, org_id, chunks, out, limit, conv)
    read_signals(session, org_id, chunks, out, extractors, conv)
    sort_events(out, changes=True)
    return out


def decode_payload(payload: Any) -> dict[str, Any]:
    """Decode a stored signal payload (JSON text or an already decoded dict)."""
    value = decode_text(payload) if isinstance(payload, str | bytes) else payload
    return value if isinstance(value, dict) else {}
