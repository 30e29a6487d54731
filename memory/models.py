"""SQLModel tables of Keel's bitemporal time-series store.

Identity rows (org, user, account, person, deal) say *who/what exists*; everything that
changes over time is an append-only event carrying ``valid_from`` (when it became true in
the world) and ``recorded_at`` (when it was first recorded by a system of record Keel
trusts: the CRM's audit time when the source has one, otherwise when Keel ingested it).
History is never updated in place: a correction is a new event with a later
``recorded_at``. Every event carries ``source_id``, unique per org, so re-importing the
same source record is a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from memory.db import UTCDateTime

DEFAULT_STAGES: list[str] = [
    "prospecting",
    "qualification",
    "discovery",
    "solution",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
]
"""Default ordered stage list; an org may define its own (the two closed stages are fixed)."""

CLOSED_WON = "closed_won"
CLOSED_LOST = "closed_lost"
CLOSED_STAGES = frozenset({CLOSED_WON, CLOSED_LOST})

CORE_FIELDS = frozenset(
    {"stage", "amount", "currency", "close_date", "owner_id", "forecast_category", "name"}
)
"""Deal fields with a fixed meaning; any other field name is a custom CRM field."""

FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
ROLES = ("rep", "manager", "admin")
ACTIVITY_KINDS = ("call", "email", "meeting", "note")
SENIORITIES = ("exec", "director", "manager", "ic")


def _ts(*, index: bool = False, nullable: bool = False) -> Any:
    return Field(sa_type=UTCDateTime, index=index, nullable=nullable)


class Org(SQLModel, table=True):
    """A customer organisation; every other row belongs to exactly one org."""

    id: str = Field(primary_key=True)
    name: str
    currency: str = "USD"
    stages: list[str] = Field(default_factory=lambda: list(DEFAULT_STAGES), sa_column=Column(JSON))
    created_at: datetime = _ts()


class User(SQLModel, table=True):
    """A seller-side user of Keel: a rep, a manager or an admin."""

    id: str = Field(primary_key=True)
    org_id: str = Field(foreign_key="org.id", index=True)
    name: str
    email: str
    role: str = "rep"
    team: str | None = None
    manager_id: str | None = None
    timezone: str = "UTC"
    source_id: str | None = None


class Account(SQLModel, table=True):
    """A buyer company."""

    __table_args__ = (UniqueConstraint("org_id", "source_id", name="uq_account_source"),)

    id: str = Field(primary_key=True)
    org_id: str = Field(foreign_key="org.id", index=True)
    name: str
    segment: str | None = None
    industry: str | None = None
    region: str | None = None
    source_id: str
    created_at: datetime = _ts()
    recorded_at: datetime = _ts()


class Person(SQLModel, table=True):
    """A buyer-side stakeholder at an account."""

    __table_args__ = (UniqueConstraint("org_id", "source_id", name="uq_person_source"),)

    id: str = Field(primary_key=True)
    org_id: str = Field(foreign_key="org.id", index=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    name: str
    title: str | None = None
    seniority: str | None = None
    email: str | None = None
    source_id: str
    recorded_at: datetime = _ts()


class Deal(SQLModel, table=True):
    """A deal's identity; its changing fields live in :class:`FieldChange`."""

    __table_args__ = (UniqueConstraint("org_id", "source_id", name="uq_deal_source"),)

    id: str = Field(primary_key=True)
    org_id: str = Field(foreign_key="org.id", index=True)
    account_id: str = Field(foreign_key="account.id", index=True)
    name: str
    source: str = "keel"
    source_id: str
    created_at: datetime = _ts()
    recorded_at: datetime = _ts()


class FieldChange(SQLModel, table=True):
    """One append-only change of one deal field (core or custom)."""

    __tablename__ = "field_change"
    __table_args__ = (
        UniqueConstraint("org_id", "source_id", name="uq_field_change_source"),
        # Per-deal reads fetch all of a deal's few hundred rows and sort them; more key
        # columns here made every insert dearer (bigger entries, more pages per commit).
        Index("ix_field_change_deal", "deal_id"),
        Index("ix_field_change_org_valid", "org_id", "valid_from"),
        # Only changes recorded after they became true can be missing from a checkpoint
        # while valid before it; this partial index lets a read find them without walking
        # every change recorded since (see memory.checkpoints).
        Index(
            "ix_field_change_late",
            "org_id",
            "recorded_at",
            "valid_from",
            sqlite_where=text("recorded_at > valid_from"),
            postgresql_where=text("recorded_at > valid_from"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(foreign_key="org.id")
    deal_id: str = Field(foreign_key="deal.id")
    field: str
    value: Any = Field(default=None, sa_column=Column(JSON))
    valid_from: datetime = _ts()
    recorded_at: datetime = _ts()
    source: str = "keel"
    source_id: str
    author: str | None = None


class Activity(SQLModel, table=True):
    """A call transcript, email, meeting or note; immutable once recorded."""

    __table_args__ = (
        UniqueConstraint("org_id", "source_id", name="uq_activity_source"),
        Index("ix_activity_deal_time", "deal_id", "occurred_at"),
        Index("ix_activity_org_time", "org_id", "occurred_at"),
    )

    id: str = Field(primary_key=True)
    org_id: str = Field(foreign_key="org.id")
    deal_id: str | None = Field(default=None, foreign_key="deal.id")
    account_id: str | None = Field(default=None, foreign_key="account.id")
    kind: str
    subject: str | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    participants: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    direction: str | None = None
    occurred_at: datetime = _ts()
    recorded_at: datetime = _ts()
    source: str = "keel"
    source_id: str
    content_hash: str


class ActivitySignal(SQLModel, table=True):
    """Signals extracted from one activity's text by one extractor version.

    ``valid_from`` is the activity's time; ``recorded_at`` is when the extraction ran,
    so "as Keel knew it" reads never see signals extracted after the instant asked for.
    """

    __tablename__ = "activity_signal"
    __table_args__ = (
        UniqueConstraint("activity_id", "content_hash", "extractor", name="uq_signal_extraction"),
        Index("ix_signal_deal_time", "deal_id", "valid_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(foreign_key="org.id", index=True)
    activity_id: str = Field(foreign_key="activity.id")
    deal_id: str | None = Field(default=None, foreign_key="deal.id")
    content_hash: str
    extractor: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    valid_from: datetime = _ts()
    recorded_at: datetime = _ts()
