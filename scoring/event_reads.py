"""Per-table bulk readers behind :mod:`scoring.events` (deals, changes, activities, signals).

Each reads plain tuples from the driver (:mod:`scoring.sqlfast`) and fills
:mod:`scoring.event_records` records; caches that live for one read (timestamps, field
values, participant lists) turn repeated raw values into one C-level dict lookup each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from memory.models import Activity, ActivitySignal, Deal, FieldChange
from scoring.event_records import ActivityRow, Change, DealEvents, Seconds
from scoring.sqlfast import decode_text, fetch_rows, json_decoder


class _Decoded(dict[Any, Any]):
    """Cached JSON decoding of SQLite text values (field values repeat a lot).

    Only immutable results (strings, numbers, booleans, None) are kept, so no two
    records ever share a list or dict.
    """

    def __missing__(self, value: Any) -> Any:
        out = decode_text(value)
        if out is None or isinstance(out, str | int | float):
            self[value] = out
        return out


def value_decoder(session: Session) -> Any:
    """Decoder of raw JSON field values for the session's database, cached on SQLite."""
    decode = json_decoder(session)
    if decode is decode_text:
        return _Decoded().__getitem__
    return decode


@dataclass(frozen=True)
class DealRange:
    """Deals whose id is ``>= lo`` and ``< hi`` (``None``: unbounded), read by org scan.

    Lets two processes each read half of an org's deals in one query per table: the range
    is tested by the database, so rows of the other half never reach Python.
    """

    lo: str | None = None
    hi: str | None = None

    def holds(self, deal_id: str) -> bool:
        """Whether ``deal_id`` is in the range."""
        return (self.lo is None or deal_id >= self.lo) and (self.hi is None or deal_id < self.hi)


Chunk = list[str] | DealRange | None
"""Deals a read covers: listed ids, a range of ids, or the whole org (``None``)."""


def changes_query(
    org_id: str,
    ids: Chunk,
    *,
    fields: Sequence[str] | None = None,
    skip: Sequence[str] = ("name",),
) -> Any:
    """Changes of the org (or of ``ids``) to ``fields`` (default: all but ``skip``).

    The name is identity, never a feature: it is skipped unless asked for.
    """
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    where = _where_deals(fc.c.deal_id, fc.c.org_id, org_id, ids)
    where.append(fc.c.field.in_(list(fields)) if fields is not None else fc.c.field.not_in(skip))
    return select(
        fc.c.deal_id, fc.c.valid_from, fc.c.recorded_at, fc.c.id, fc.c.field, fc.c.value
    ).where(*where)


def changes_by_deal(
    rows: Iterable[tuple[Any, ...]], conv: Seconds, decode: Any, limit: float
) -> dict[str, list[Change]]:
    """Changes recorded by ``limit`` (any valid time) per deal, each deal's sorted."""
    seconds = conv.__getitem__
    per_deal: dict[str, list[Change]] = {}
    get = per_deal.get
    for deal_id, valid, rec, cid, name, value in rows:
        r = seconds(rec)
        if r > limit:
            continue
        changes = get(deal_id)
        if changes is None:
            changes = per_deal[deal_id] = []
        changes.append((seconds(valid), r, cid, name, decode(value)))
    for changes in per_deal.values():
        changes.sort()
    return per_deal


def _where_deals(column: Any, org_col: Any, org_id: str, ids: Chunk) -> list[Any]:
    if ids is None:
        return [org_col == org_id]
    if isinstance(ids, DealRange):
        where = [org_col == org_id]
        if ids.lo is not None:
            where.append(column >= ids.lo)
        if ids.hi is not None:
            where.append(column < ids.hi)
        return where
    return [org_col == org_id, column.in_(ids)]


def _buyers(participants: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names: list[str] = []
    titles: list[str] = []
    for p in participants or ():
        if isinstance(p, dict) and p.get("side") == "buyer":
            names.append(str(p.get("name") or p.get("email") or "?"))
            titles.append(str(p.get("title") or ""))
    return tuple(names), tuple(titles)


class _BuyersOf(dict[Any, tuple[tuple[str, ...], tuple[str, ...]]]):
    """Buyers of raw participant lists: a deal's activities mostly repeat the same list."""

    def __init__(self, decode: Any) -> None:
        super().__init__()
        self.decode = decode

    def __missing__(self, raw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
        out = self[raw] = _buyers(self.decode(raw))
        return out

    def of(self, raw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Buyers of a raw value (decoded objects, as PostgreSQL returns, are not cached)."""
        if isinstance(raw, str | bytes):
            return self[raw]
        return _buyers(self.decode(raw))


def read_deals(
    session: Session,
    org_id: str,
    chunks: list[Chunk],
    wanted: set[str] | None,
    limit: float,
    conv: Seconds,
) -> dict[str, DealEvents]:
    """The deals of ``chunks`` (``None`` = the whole org) in ``wanted`` known by ``limit``."""
    d = Deal.__table__  # type: ignore[attr-defined]
    out: dict[str, DealEvents] = {}
    for chunk in chunks:
        query = select(d.c.id, d.c.account_id, d.c.created_at, d.c.recorded_at).where(
            *_where_deals(d.c.id, d.c.org_id, org_id, chunk)
        )
        for deal_id, account_id, created, known in fetch_rows(session, query):
            c, k = conv(created), conv(known)
            if (wanted is None or deal_id in wanted) and c <= limit and k <= limit:
                out[deal_id] = DealEvents(deal_id, account_id, c, k)
    return out


def read_activities(
    session: Session,
    org_id: str,
    chunks: list[Chunk],
    out: dict[str, DealEvents],
    limit: float,
    conv: Seconds,
) -> None:
    """Append the activities (valid and recorded by ``limit``) of the deals in ``out``."""
    act = Activity.__table__  # type: ignore[attr-defined]
    seconds = conv.__getitem__
    buyers = _BuyersOf(json_decoder(session))
    if session.get_bind().dialect.name == "sqlite":
        buyers_of = buyers.__getitem__
    else:
        buyers_of = buyers.of
    activities_of = {deal_id: ev.activities for deal_id, ev in out.items()}.get
    for chunk in chunks:
        query = select(
            act.c.id,
            act.c.deal_id,
            act.c.kind,
            act.c.direction,
            act.c.participants,
            act.c.occurred_at,
            act.c.recorded_at,
        ).where(*_where_deals(act.c.deal_id, act.c.org_id, org_id, chunk))
        for aid, deal_id, kind, direction, participants, occurred, rec in fetch_rows(
            session, query
        ):
            activities = activities_of(deal_id)
            if activities is None:
                continue
            o, r = seconds(occurred), seconds(rec)
            if o <= limit and r <= limit:
                names, titles = buyers_of(participants)
                activities.append(ActivityRow(aid, kind, direction, names, titles, o, r))


def read_signals(
    session: Session,
    org_id: str,
    chunks: list[Chunk],
    out: dict[str, DealEvents],
    extractors: Sequence[str],
    conv: Seconds,
) -> None:
    """Append every extraction (not cut in time) of the activities of the deals in ``out``."""
    sig = ActivitySignal.__table__  # type: ignore[attr-defined]
    decode = json_decoder(session)
    seconds = conv.__getitem__
    signals_of = {deal_id: ev.signals for deal_id, ev in out.items()}.get
    for chunk in chunks:
        where = _where_deals(sig.c.deal_id, sig.c.org_id, org_id, chunk)
        if extractors:
            where.append(sig.c.extractor.in_(list(extractors)))
        query = select(sig.c.activity_id, sig.c.deal_id, sig.c.recorded_at, sig.c.payload).where(
            *where
        )
        for aid, deal_id, rec, payload in fetch_rows(session, query):
            signals = signals_of(deal_id)
            if signals is not None:
                p = decode(payload)
                version = (seconds(rec), p if isinstance(p, dict) else {})
                versions = signals.get(aid)
                if versions is None:
                    signals[aid] = [version]
                else:
                    versions.append(version)


def sort_events(out: dict[str, DealEvents], *, changes: bool) -> None:
    """Sort each deal's activities and extraction versions (and changes if asked)."""
    by_time = attrgetter("occurred", "activity_id")
    for ev in out.values():
        if changes:
            ev.changes.sort()
        ev.activities.sort(key=by_time)
        for versions in ev.signals.values():
            if len(versions) > 1:
                versions.sort(key=itemgetter(0))
