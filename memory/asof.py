"""Bitemporal as-of reads: a deal, or the whole pipeline, as it stood at any instant.

``as_of`` picks *valid* time (what was true in the world then). ``known_at`` optionally
also limits *recorded* time (what Keel knew then); training and backtests must pass
``known_at=as_of`` so no later knowledge leaks in. Among events for the same field, the
one with the latest ``valid_from`` wins, and for equal ``valid_from`` the latest
``recorded_at`` (a correction) wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, and_, select
from sqlmodel import Session

from memory.checkpoints import (
    FieldEntry,
    change_columns,
    fold,
    latest_checkpoint,
    state_from_checkpoint,
)
from memory.collector import collector_paused
from memory.models import CLOSED_STAGES, CLOSED_WON, Deal, FieldChange
from memory.sql import raw, raw_utc, unindexed


def _text(value: Any) -> str | None:
    """A field value as text (``None`` stays ``None``): how stage and owner are compared."""
    return str(value) if value is not None else None


@dataclass(frozen=True)
class DealState:
    """A deal's fields as of one instant."""

    deal_id: str
    org_id: str
    account_id: str
    name: str
    source_id: str
    created_at: datetime
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def stage(self) -> str | None:
        """Current stage name."""
        return _text(self.fields.get("stage"))

    @property
    def amount(self) -> float | None:
        """Deal amount in the deal's currency."""
        value = self.fields.get("amount")
        return float(value) if value is not None else None

    @property
    def close_date(self) -> date | None:
        """Expected (or actual) close date."""
        value = self.fields.get("close_date")
        return date.fromisoformat(str(value)[:10]) if value else None

    @property
    def owner_id(self) -> str | None:
        """Owning rep's user id."""
        return _text(self.fields.get("owner_id"))

    @property
    def forecast_category(self) -> str | None:
        """CRM forecast category."""
        value = self.fields.get("forecast_category")
        return str(value) if value is not None else None

    @property
    def is_closed(self) -> bool:
        """True once the deal is closed won or lost."""
        return self.stage in CLOSED_STAGES

    @property
    def is_won(self) -> bool:
        """True if the deal is closed won."""
        return self.stage == CLOSED_WON

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "deal_id": self.deal_id,
            "source_id": self.source_id,
            "name": self.name,
            "account_id": self.account_id,
            "created_at": self.created_at.isoformat(),
            "fields": self.fields,
        }


SMALL_DEAL_SET = 500
"""Up to this many deals are read per deal through the per-deal index."""


def _effective_fields(
    session: Session,
    *,
    org_id: str,
    as_of: datetime,
    known_at: datetime | None,
    deal_ids: list[str] | None,
    include_closed: bool,
) -> tuple[dict[str, dict[str, FieldEntry]], set[str]]:
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    cols = change_columns()
    state: dict[str, dict[str, FieldEntry]] = {}
    if deal_ids is not None and len(deal_ids) <= SMALL_DEAL_SET:
        where = [fc.c.deal_id.in_(deal_ids), fc.c.valid_from <= as_of]
        if known_at is not None:
            where.append(fc.c.recorded_at <= known_at)
        rows = [r for r in session.execute(select(fc.c.org_id, *cols).where(and_(*where)))]
        fold(state, (tuple(r[1:]) for r in rows if r[0] == org_id))  # type: ignore[misc]
        return state, set()
    run = latest_checkpoint(
        session, org_id=org_id, at_or_before=min(as_of, known_at) if known_at else as_of
    )
    if run is not None:
        return state_from_checkpoint(
            session, run, as_of=as_of, known_at=known_at, include_closed=include_closed
        )
    where = [fc.c.org_id == org_id, fc.c.valid_from <= as_of]
    if known_at is not None:
        where.append(fc.c.recorded_at <= known_at)
    fold(state, session.execute(select(*cols).where(and_(*where))).tuples())
    return state, set()


def _deals_query(
    org_id: str, as_of: datetime, known_at: datetime | None, deal_ids: list[str] | None
) -> Select[Any]:
    d = Deal.__table__  # type: ignore[attr-defined]
    conditions = [d.c.org_id == org_id, d.c.created_at <= as_of]
    if known_at is not None:
        conditions.append(d.c.recorded_at <= known_at)
    if deal_ids is not None:
        conditions.append(d.c.id.in_(deal_ids))
    return select(
        d.c.id, d.c.org_id, d.c.account_id, d.c.name, d.c.source_id, raw(d.c.created_at)
    ).where(and_(*conditions))


def deals_as_of(
    session: Session,
    *,
    org_id: str,
    as_of: datetime,
    known_at: datetime | None = None,
    deal_ids: Iterable[str] | None = None,
    include_closed: bool = True,
    owner_ids: Iterable[str] | None = None,
) -> list[DealState]:
    """Return every deal of ``org_id`` that existed at ``as_of`` with its fields then.

    Args:
        session: Open database session.
        org_id: Org whose deals to read; no other org's rows are ever read.
        as_of: Valid-time instant.
        known_at: If given, ignore anything recorded after this instant.
        deal_ids: Restrict to these deals.
        include_closed: Include deals already closed won/lost at ``as_of``.
        owner_ids: Restrict to deals owned (as of ``as_of``) by these users.
    """
    with collector_paused():
        return _deals_as_of(
            session,
            org_id=org_id,
            as_of=as_of,
            known_at=known_at,
            deal_ids=deal_ids,
            include_closed=include_closed,
            owner_ids=owner_ids,
        )


def _deals_as_of(
    session: Session,
    *,
    org_id: str,
    as_of: datetime,
    known_at: datetime | None,
    deal_ids: Iterable[str] | None,
    include_closed: bool,
    owner_ids: Iterable[str] | None,
) -> list[DealState]:
    ids = list(deal_ids) if deal_ids is not None else None
    values, skipped = _effective_fields(
        session,
        org_id=org_id,
        as_of=as_of,
        known_at=known_at,
        deal_ids=ids,
        include_closed=include_closed,
    )
    owners = set(owner_ids) if owner_ids is not None else None
    rows = list(session.execute(_deals_query(org_id, as_of, known_at, ids)).all())
    # Deal ids are unique, so ordering the rows orders the states; filters read the fields
    # as DealState's properties do (``_text``), so no state is built only to be dropped.
    rows.sort(key=itemgetter(0))
    states = []
    for deal_id, deal_org, account_id, name, source_id, created_at in rows:
        if deal_id in skipped:
            continue
        entries = values.get(deal_id)
        fields = {field: entry[0] for field, entry in entries.items()} if entries else {}
        if not include_closed and _text(fields.get("stage")) in CLOSED_STAGES:
            continue
        if owners is not None and _text(fields.get("owner_id")) not in owners:
            continue
        states.append(
            DealState(
                deal_id=deal_id,
                org_id=deal_org,
                account_id=account_id,
                name=name,
                source_id=source_id,
                created_at=raw_utc(created_at),
                fields=fields,
            )
        )
    return states


def deal_as_of(
    session: Session,
    *,
    org_id: str,
    deal_id: str,
    as_of: datetime,
    known_at: datetime | None = None,
) -> DealState | None:
    """Return one deal as of ``as_of`` (``None`` if it did not exist yet or is unknown)."""
    found = deals_as_of(session, org_id=org_id, as_of=as_of, known_at=known_at, deal_ids=[deal_id])
    return found[0] if found else None


def pipeline_as_of(
    session: Session,
    *,
    org_id: str,
    as_of: datetime,
    known_at: datetime | None = None,
    owner_ids: Iterable[str] | None = None,
) -> list[DealState]:
    """Return the open pipeline (deals not yet closed) as of ``as_of``."""
    return deals_as_of(
        session,
        org_id=org_id,
        as_of=as_of,
        known_at=known_at,
        include_closed=False,
        owner_ids=owner_ids,
    )


def field_history(
    session: Session,
    *,
    org_id: str,
    deal_id: str,
    as_of: datetime,
    known_at: datetime | None = None,
) -> dict[str, list[tuple[datetime, Any]]]:
    """Return each field's effective history up to ``as_of``: ``[(valid_from, value), ...]``.

    For several records with the same ``valid_from`` only the latest recorded one (the
    correction) counts. Entries are in valid-time order.
    """
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    # deal_id alone must select the per-deal index; org_id is only re-checked on the rows.
    # Compared as a plain ``org_id = ?`` it let SQLite (no ANALYZE statistics) pick the
    # (org_id, valid_from) index and walk the org's whole history: seconds per call at 1M
    # changes instead of ~1 ms.
    conditions = [
        fc.c.deal_id == deal_id,
        unindexed(fc.c.org_id) == org_id,
        fc.c.valid_from <= as_of,
    ]
    if known_at is not None:
        conditions.append(fc.c.recorded_at <= known_at)
    query = (
        select(fc.c.field, fc.c.value, fc.c.valid_from)
        .where(and_(*conditions))
        .order_by(fc.c.field, fc.c.valid_from, fc.c.recorded_at, fc.c.id)
    )
    history: dict[str, list[tuple[datetime, Any]]] = {}
    for name, value, valid_from in session.execute(query):
        entries = history.setdefault(name, [])
        if entries and entries[-1][0] == valid_from:
            entries[-1] = (valid_from, value)
        else:
            entries.append((valid_from, value))
    return history
