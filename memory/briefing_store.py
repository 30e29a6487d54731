"""Tables of the proactive layer: delivered briefings, alert history, pattern versions.

``Briefing`` has a unique ``(org_id, user_id, day, kind)`` key: whoever inserts first owns
that briefing, so two scheduler processes never send the same rep two briefings on one
day. ``AlertRecord`` remembers what was already said (suppression of repeats).
``PatternVersion`` keeps every mining run's report so the agent and the deal page read
one consistent, versioned set of patterns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from memory.db import UTCDateTime


class Briefing(SQLModel, table=True):
    """One briefing for one user on one local day (the idempotency key of delivery).

    Attributes:
        kind: ``"rep"`` (a rep's own deals) or ``"team"`` (a manager's roll-up).
        day: The user's local calendar day, ``YYYY-MM-DD``.
        status: ``"composing"`` (claimed, being written) or ``"ready"`` (text stored; the
            chat shows ready briefings at the top when the user opens it).
        delivered_at: When it was pushed into a live chat session (None = not yet).
    """

    __tablename__ = "briefing"
    __table_args__ = (UniqueConstraint("org_id", "user_id", "day", "kind", name="uq_briefing_day"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True)
    user_id: str = Field(index=True)
    day: str
    kind: str = "rep"
    status: str = "composing"
    claimed_by: str = ""
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    text: str = ""
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class AlertRecord(SQLModel, table=True):
    """An alert already told to a user about a deal (one row per deal and alert key)."""

    __tablename__ = "alert_record"
    __table_args__ = (UniqueConstraint("org_id", "deal_id", "key", name="uq_alert_key"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True)
    deal_id: str = Field(index=True)
    user_id: str | None = None
    key: str
    kind: str
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_at: datetime = Field(sa_type=UTCDateTime)
    value_at_risk: float = 0.0
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class PatternVersion(SQLModel, table=True):
    """One pattern-mining run of an org (the report as JSON)."""

    __tablename__ = "pattern_version"
    __table_args__ = (UniqueConstraint("org_id", "version", name="uq_pattern_version"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(index=True)
    version: str
    computed_at: datetime = Field(sa_type=UTCDateTime)
    closed_deals: int = 0
    tests: int = 0
    significant: int = 0
    report: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


TABLES = [Briefing.__table__, AlertRecord.__table__, PatternVersion.__table__]  # type: ignore[attr-defined]


def create_briefing_tables(engine: Engine) -> None:
    """Create this module's tables if missing (until ``create_schema`` imports the module)."""
    SQLModel.metadata.create_all(engine, tables=TABLES)


def claim_briefing(
    session: Session, *, org_id: str, user_id: str, day: str, kind: str, claimed_by: str,
    now: datetime,
) -> Briefing | None:  # fmt: skip
    """Insert the briefing row for (org, user, day, kind); ``None`` if someone already has it.

    Runs in a savepoint so a lost race leaves the caller's transaction usable. The caller
    must commit before composing so a second process sees the claim.
    """
    row = Briefing(org_id=org_id, user_id=user_id, day=day, kind=kind, claimed_by=claimed_by,
                   created_at=now)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def briefings_for(session: Session, *, org_id: str, user_id: str, limit: int = 7) -> list[Briefing]:
    """A user's latest ready briefings, newest first (what the chat shows on open)."""
    query = (
        select(Briefing)
        .where(Briefing.org_id == org_id, Briefing.user_id == user_id, Briefing.status == "ready")  # type: ignore[arg-type]
        .order_by(Briefing.day.desc())  # type: ignore[attr-defined]
        .limit(limit)
    )
    return list(session.scalars(query))


def said_keys(
    session: Session, *, org_id: str, deal_ids: list[str] | None = None
) -> dict[tuple[str, str], AlertRecord]:
    """Alerts already told, keyed by ``(deal_id, key)``."""
    query = select(AlertRecord).where(AlertRecord.org_id == org_id)  # type: ignore[arg-type]
    if deal_ids is not None:
        query = query.where(AlertRecord.deal_id.in_(deal_ids))  # type: ignore[attr-defined]
    return {(a.deal_id, a.key): a for a in session.scalars(query)}


def save_patterns(session: Session, *, report: dict[str, Any], now: datetime) -> PatternVersion:
    """Store a pattern report (``PatternReport.as_dict()``) as a version; same version = no-op.

    Raises:
        ValueError: the report lacks ``org_id`` or ``version``.
    """
    org_id, version = report.get("org_id"), report.get("version")
    if not org_id or not version:
        raise ValueError("pattern report needs 'org_id' and 'version'")
    query = select(PatternVersion).where(
        PatternVersion.org_id == org_id,  # type: ignore[arg-type]
        PatternVersion.version == version,  # type: ignore[arg-type]
    )
    existing = session.scalars(query).first()
    if existing is not None:
        return existing
    row = PatternVersion(org_id=org_id, version=version, computed_at=now,
                         closed_deals=int(report.get("closed_deals", 0)),
                         tests=int(report.get("tests", 0)),
                         significant=sum(1 for p in report.get("patterns", []) if p.get("significant")),
                         report=report)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def latest_patterns(session: Session, *, org_id: str) -> PatternVersion | None:
    """The org's most recent pattern run, if any."""
    query = (
        select(PatternVersion)
        .where(PatternVersion.org_id == org_id)  # type: ignore[arg-type]
        .order_by(PatternVersion.computed_at.desc(), PatternVersion.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(1)
    )
    return session.scalars(query).first()
