"""What every importer needs from the store: the org, its users, and deals already known."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlmodel import Session

from memory.db import utcnow
from memory.ids import make_id
from memory.importers.report import ImportReport
from memory.ingest import IngestReport, ingest
from memory.models import DEFAULT_STAGES, Deal, Org, User

CHUNK = 500
NO_ACCOUNT = "(no account)"
"""Source id and name of the placeholder account for deals imported without one."""

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most ``size`` items (bounded ``IN (...)`` lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class ImportContext:
    """The org being imported into and lookups shared by the importers.

    Attributes:
        org_id: Org every record is written to.
        stages: The org's ordered stage names.
        now: Ingestion time, used as ``recorded_at`` where the source has no audit time.
        users: Lookup from user id, source id, email and name (case-folded) to user id.
        seller_emails: Emails of the org's users (they are the seller side).
        seller_names: Case-folded names of the org's users.
    """

    org_id: str
    stages: list[str]
    now: datetime
    users: dict[str, str] = field(default_factory=dict)
    seller_emails: set[str] = field(default_factory=set)
    seller_names: set[str] = field(default_factory=set)

    def find_user(self, value: str) -> str | None:
        """Return the id of the user ``value`` names (id, CRM id, email or name), if any."""
        return self.users.get(value) or self.users.get(value.casefold())


def open_context(
    session: Session, org_id: str, *, now: datetime | None = None
) -> tuple[ImportContext, IngestReport]:
    """Create the org if it is missing (in the caller's transaction) and load its lookups.

    Returns:
        The context, and the ingest report of the org insert (``inserted["orgs"]`` is 1
        when the org was new).
    """
    now = now or utcnow()
    # a model instance carries every column default (currency, stages)
    created = ingest(session, orgs=[Org(id=org_id, name=org_id, created_at=now)])
    org = session.get(Org, org_id)
    stages = list(org.stages) if org is not None and org.stages else list(DEFAULT_STAGES)
    ctx = ImportContext(org_id=org_id, stages=stages, now=now)
    rows = session.execute(
        select(User.id, User.source_id, User.email, User.name).where(  # type: ignore[call-overload]
            User.org_id == org_id
        )
    ).all()
    for user_id, source_id, email, name in rows:
        for key in (name.casefold() if name else None, email.casefold() if email else None):
            if key:
                ctx.users.setdefault(key, user_id)
        if source_id:
            ctx.users[source_id] = user_id
        ctx.users[user_id] = user_id
        if email:
            ctx.seller_emails.add(email.casefold())
        if name:
            ctx.seller_names.add(name.casefold())
    return ctx, created


@dataclass(frozen=True)
class KnownDeal:
    """A deal already in the store."""

    deal_id: str
    account_id: str
    created_at: datetime


def known_deals(session: Session, org_id: str, source_ids: Iterable[str]) -> dict[str, KnownDeal]:
    """Return the stored deals of ``org_id`` among ``source_ids``, keyed by source id."""
    wanted = list(dict.fromkeys(source_ids))
    found: dict[str, KnownDeal] = {}
    for part in chunks(wanted):
        query = select(Deal.source_id, Deal.id, Deal.account_id, Deal.created_at).where(  # type: ignore[call-overload]
            Deal.org_id == org_id,
            Deal.source_id.in_(list(part)),  # type: ignore[attr-defined]
        )
        for source_id, deal_id, account_id, created_at in session.execute(query):
            found[source_id] = KnownDeal(deal_id, account_id, created_at)
    return found


def account_row(
    org_id: str, source_id: str, name: str, created_at: datetime, recorded_at: datetime
) -> dict[str, Any]:
    """An ``Account`` record for ``ingest`` (id derived from the org and source id)."""
    return {
        "id": make_id("account", org_id, source_id),
        "org_id": org_id,
        "name": name,
        "source_id": source_id,
        "created_at": created_at,
        "recorded_at": recorded_at,
    }


@dataclass
class ChangeSink:
    """Writes field-change records in bounded batches inside the caller's transaction.

    Keeps memory flat on large files; the identity rows they refer to must be written
    first.
    """

    session: Session
    report: ImportReport
    size: int = 20000
    pending: list[dict[str, Any]] = field(default_factory=list)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        """Queue change records, writing a batch once enough are queued."""
        self.pending.extend(rows)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Write everything still queued."""
        if self.pending:
            self.report.add_ingest(ingest(self.session, changes=self.pending))
            self.pending = []
