"""Feedback from the chat, kept for the preference loop: thumbs, corrections, draft edits.

Append-only: one row per piece of feedback, with the user, org, thread and (when known) deal
it is about. ``payload`` holds the details: for a draft edit the original, the edited text
and their unified diff. ``processed_at`` is set by whoever learns from the row, so the
learning loop can pick up what it has not seen.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from memory.db import UTCDateTime, utcnow

FEEDBACK_KINDS = ("thumbs_up", "thumbs_down", "correction", "draft_edit")
MAX_TEXT_CHARS = 20_000


class ChatFeedback(SQLModel, table=True):
    """One piece of feedback a user gave in the chat."""

    __tablename__ = "chat_feedback"
    __table_args__ = (Index("ix_chat_feedback_user_time", "org_id", "user_id", "created_at"),)

    id: str = Field(primary_key=True)
    org_id: str
    user_id: str
    kind: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    thread_id: str | None = None
    message_id: str | None = None
    deal_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


def record_feedback(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    kind: str,
    text: str,
    thread_id: str | None = None,
    message_id: str | None = None,
    deal_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    """Store one piece of feedback and return its id.

    Raises:
        ValueError: Unknown ``kind``.
    """
    if kind not in FEEDBACK_KINDS:
        raise ValueError(f"unknown feedback kind {kind!r}; expected one of {FEEDBACK_KINDS}")
    row = ChatFeedback(
        id=uuid.uuid4().hex,
        org_id=org_id,
        user_id=user_id,
        kind=kind,
        text=text[:MAX_TEXT_CHARS],
        thread_id=thread_id,
        message_id=message_id,
        deal_id=deal_id,
        payload=payload or {},
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row.id


def list_feedback(
    session: Session, *, org_id: str, user_id: str | None = None, kind: str | None = None
) -> list[ChatFeedback]:
    """Return an org's feedback (optionally one user's, one kind), oldest first."""
    query = select(ChatFeedback).where(ChatFeedback.org_id == org_id)  # type: ignore[arg-type]
    if user_id is not None:
        query = query.where(ChatFeedback.user_id == user_id)  # type: ignore[arg-type]
    if kind is not None:
        query = query.where(ChatFeedback.kind == kind)  # type: ignore[arg-type]
    return list(session.execute(query.order_by(ChatFeedback.created_at)).scalars())  # type: ignore[arg-type]


def create_feedback_tables(engine: Engine) -> None:
    """Create the feedback table if missing (until ``create_schema`` imports this module)."""
    SQLModel.metadata.create_all(engine, tables=[ChatFeedback.__table__])  # type: ignore[attr-defined]
