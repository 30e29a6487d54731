"""Bulk loading of everything Keel recorded about a set of deals, for point-in-time features.

A handful of set-based queries (deals, field changes, activities without bodies, signals,
accounts, the org's closes) load the raw bitemporal records once; features for any
instant are then computed in memory by filtering on valid *and* recorded time. Times are
kept as float seconds since the epoch so the per-instant filters are cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from memory.models import (
    CLOSED_LOST,
    CLOSED_WON,
    DEFAULT_STAGES,
    Account,
    Activity,
    ActivitySignal,
    Deal,
    FieldChange,
    Org,
)
from scoring.sqlfast import EPSILON, decode_text, fetch_rows, json_decoder

_EPOCH_NAIVE = datetime(1970, 1, 1)
_CHUNK = 5000
BIG_SET = 2000
"""Above this many deals, rows are read by org and filtered in memory (one scan, no IN)."""


def secs(value: Any) -> float:
    """Seconds since the epoch of a raw timestamp (SQLite text or a datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return float((value - _EPOCH_NAIVE).total_seconds())
    return float(value.timestamp())


class Seconds:
    """Cached :func:`secs`: many records share a timestamp (all fields set at creation)."""

    def __init__(self) -> None:
        self.cache: dict[Any, float] = {}

    def __call__(self, value: Any) -> float:
        """Seconds since the epoch of a raw timestamp."""
        out = self.cache.get(value)
        if out is None:
            out = self.cache[value] = secs(value)
        return out


def to_datetime(seconds: float) -> datetime:
    """UTC-aware datetime of seconds since the epoch."""
    return datetime.fromtimestamp(seconds, tz=UTC)


@dataclass(slots=True)
class ActivityRow:
    """One activity without its text: who took part and when it happened and was recorded.

    Treated as immutable; not ``frozen`` because a frozen dataclass's ``__init__`` costs
    several times more, and ~10^5 of these are built per scoring pass.
    """

    activity_id: str
    kind: str
    direction: str | None
    buyers: tuple[str, ...]
    buyer_titles: tuple[str, ...]
    occurred: float
    recorded: float

    @property
    def is_buyer_activity(self) -> bool:
        """A call/meeting with a buyer present, or an inbound email/note from the buyer."""
        if self.kind in ("call", "meeting"):
            return bool(self.buyers)
        return self.direction == "inbound"

    @property
    def is_conversation(self) -> bool:
        """A call or meeting with the buyer present."""
        return self.kind in ("call", "meeting") and bool(self.buyers)


@dataclass
class DealEvents:
    """Every recorded fact about one deal, sorted, ready for as-of filtering.

    ``changes`` are ``(valid, recorded, change_id, field, value)`` in (valid, recorded, id)
    order; ``signals`` maps an activity id to ``(recorded, payload)`` in recorded order.
    """

    deal_id: str
    account_id: str
    created: float
    known: float
    changes: list[tuple[float, float, int, str, Any]] = field(default_factory=list)
    activities: list[ActivityRow] = field(default_factory=list)
    signals: dict[str, list[tuple[float, dict[str, Any]]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Close:
    """One deal's close: when it happened, when Keel learned of it, the outcome, the owner."""

    deal_id: str
    at: float
    known: float
    won: bool
    owner: str | None


@dataclass
class OrgEvents:
    """Org-wide context: stage order, account attributes and every close (rep history)."""

    org_id: str
    stages: list[str]
    accounts: dict[str, tuple[str | None, str | None, str | None, float]]
    closes: list[Close]
    stage_at_until: dict[str, Any] = field(default_factory=dict)
    """Each deal's stage at ``until`` (as known then), when loaded with ``until``."""

    def open_deal_ids(self) -> list[str]:
        """Deals whose stage at ``until`` is not closed (requires loading with ``until``)."""
        return sorted(
            d for d, s in self.stage_at_until.items() if s not in (CLOSED_WON, CLOSED_LOST)
        )

    def stage_rank(self) -> dict[str, int]:
        """Position of each stage in the org's ordered stage list."""
        return {s: i for i, s in enumerate(self.stages)}


def _in_chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def load_org(session: Session, *, org_id: str, until: float | None = None) -> OrgEvents:
    """Load the org's stage order, account attributes and closes known by ``until``.

    A close is the last change of a deal's stage into closed won/lost, if the deal has
    not been reopened since; its owner is the owner at that time.
    """
    org = session.get(Org, org_id)
    stages = list(org.stages) if org is not None and org.stages else list(DEFAULT_STAGES)
    acc = Account.__table__  # type: ignore[attr-defined]
    conv = Seconds()
    accounts = {
        a: (seg, ind, reg, conv(rec))
        for a, seg, ind, reg, rec in fetch_rows(
            session,
            select(acc.c.id, acc.c.segment, acc.c.industry, acc.c.region, acc.c.recorded_at).where(
                acc.c.org_id == org_id
            ),
        )
    }
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    query = select(
        fc.c.deal_id, fc.c.field, fc.c.value, fc.c.valid_from, fc.c.recorded_at, fc.c.id
    ).where(fc.c.org_id == org_id, fc.c.field.in_(["stage", "owner_id"]))
    decode = json_decoder(session)
    limit = until + EPSILON if until is not None else None
    per_deal: dict[str, list[tuple[float, float, int, str, Any]]] = {}
    for deal_id, name, value, valid, recorded, cid in fetch_rows(session, query):
        r = conv(recorded)
        if limit is not None and r > limit:
            continue
        per_deal.setdefault(deal_id, []).append((conv(valid), r, cid, name, decode(value)))
    closes = []
    stage_at: dict[str, Any] = {}
    for deal_id, rows in per_deal.items():
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        stage: Any = None
        owner: Any = None
        close: tuple[float, float, bool, Any] | None = None
        for valid, recorded, _cid, name, value in rows:
            if name == "owner_id":
                owner = value
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


def deal_created(session: Session, *, org_id: str) -> dict[str, float]:
    """Creation time (seconds) of every deal of the org."""
    d = Deal.__table__  # type: ignore[attr-defined]
    query = select(d.c.id, d.c.created_at).where(d.c.org_id == org_id)
    conv = Seconds()
    return {deal_id: conv(created) for deal_id, created in fetch_rows(session, query)}


def _where_deals(column: Any, org_col: Any, org_id: str, ids: list[str] | None) -> list[Any]:
    if ids is None:
        return [org_col == org_id]
    return [org_col == org_id, column.in_(ids)]


def _buyers(participants: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    buyers = [p for p in participants or [] if isinstance(p, dict) and p.get("side") == "buyer"]
    return (
        tuple(str(p.get("name") or p.get("email") or "?") for p in buyers),
        tuple(str(p.get("title") or "") for p in buyers),
    )


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
    # Big sets are read by org (one scan, no huge IN list) and filtered here.
    chunks: list[list[str] | None] = (
        [None] if ids is None or len(ids) > BIG_SET else list(_in_chunks(ids))
    )
    wanted = set(ids) if ids is not None else None
    limit = until + EPSILON if until is not None else None
    d = Deal.__table__  # type: ignore[attr-defined]
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    act = Activity.__table__  # type: ignore[attr-defined]
    sig = ActivitySignal.__table__  # type: ignore[attr-defined]
    decode = json_decoder(session)
    conv = Seconds()
    lim = limit if limit is not None else float("inf")
    out: dict[str, DealEvents] = {}
    for chunk in chunks:
        query = select(d.c.id, d.c.account_id, d.c.created_at, d.c.recorded_at).where(
            *_where_deals(d.c.id, d.c.org_id, org_id, chunk)
        )
        for deal_id, account_id, created, known in fetch_rows(session, query):
            c, k = conv(created), conv(known)
            if (wanted is None or deal_id in wanted) and c <= lim and k <= lim:
                out[deal_id] = DealEvents(deal_id, account_id, c, k)
    if not out:
        return out
    for chunk in chunks:
        # The name is identity, never a feature: not read.
        query = select(
            fc.c.deal_id, fc.c.valid_from, fc.c.recorded_at, fc.c.id, fc.c.field, fc.c.value
        ).where(*_where_deals(fc.c.deal_id, fc.c.org_id, org_id, chunk), fc.c.field != "name")
        for deal_id, valid, rec, cid, name, value in fetch_rows(session, query):
            ev = out.get(deal_id)
            if ev is None:
                continue
            v, r = conv(valid), conv(rec)
            if v <= lim and r <= lim:
                ev.changes.append((v, r, cid, name, decode(value)))
        query = select(
            act.c.id,
            act.c.deal_id,
            act.c.kind,
            act.c.direction,
            act.c.participants,
            act.c.occurred_at,
            act.c.recorded_at,
        ).where(*_where_deals(act.c.deal_id, act.c.org_id, org_id, chunk))
        buyers_of: dict[Any, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for aid, deal_id, kind, direction, participants, occurred, rec in fetch_rows(
            session, query
        ):
            ev = out.get(deal_id)
            if ev is None:
                continue
            o, r = conv(occurred), conv(rec)
            if o <= lim and r <= lim:
                # A deal's activities mostly repeat the same participant list: decode once.
                key = participants if isinstance(participants, str | bytes) else None
                found = buyers_of.get(key) if key is not None else None
                if found is None:
                    found = _buyers(decode(participants))
                    if key is not None:
                        buyers_of[key] = found
                names, titles = found
                ev.activities.append(ActivityRow(aid, kind, direction, names, titles, o, r))
        where = _where_deals(sig.c.deal_id, sig.c.org_id, org_id, chunk)
        if extractors:
            where.append(sig.c.extractor.in_(list(extractors)))
        query = select(sig.c.activity_id, sig.c.deal_id, sig.c.recorded_at, sig.c.payload).where(
            *where
        )
        for aid, deal_id, rec, payload in fetch_rows(session, query):
            ev = out.get(deal_id)
            if ev is not None:
                p = decode(payload)
                ev.signals.setdefault(aid, []).append((conv(rec), p if isinstance(p, dict) else {}))
    for ev in out.values():
        ev.changes.sort(key=lambda c: (c[0], c[1], c[2]))
        ev.activities.sort(key=lambda a: (a.occurred, a.activity_id))
        for versions in ev.signals.values():
            if len(versions) > 1:
                versions.sort(key=lambda s: s[0])
    return out


def decode_payload(payload: Any) -> dict[str, Any]:
    """Decode a stored signal payload (JSON text or an already decoded dict)."""
    value = decode_text(payload) if isinstance(payload, str | bytes) else payload
    return value if isinstance(value, dict) else {}
