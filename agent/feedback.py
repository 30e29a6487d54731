"""Capture chat feedback for the preference loop: corrections, thumbs, edited drafts.

Every piece of feedback is stored in Keel's own table (``memory.feedback_store``), so nothing
is lost whether or not the learning loop is installed; a ``Learner`` (the tacit-knowledge
loop in ``agent.learning``) is told about each one when it is plugged in.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.feedback_store import record_feedback
from tools.context import Viewer

logger = logging.getLogger(__name__)

MAX_DIFF_CHARS = 20_000
MAX_DRAFT_CHARS = 20_000


class Learner(Protocol):
    """The learning loop's entry point for one piece of stored feedback."""

    def on_feedback(
        self, viewer: Viewer, *, kind: str, text: str, payload: dict[str, Any]
    ) -> str | None:
        """Learn from feedback (a correction, a draft-edit diff); return a line for the rep."""
        ...


def draft_diff(original: str, edited: str) -> dict[str, Any]:
    """Return the unified diff of a draft edit and how much changed (bounded in size)."""
    original, edited = original[:MAX_DRAFT_CHARS], edited[:MAX_DRAFT_CHARS]
    lines = list(
        difflib.unified_diff(
            original.splitlines(), edited.splitlines(), "draft", "edited", lineterm="", n=1
        )
    )
    text = "\n".join(lines)
    return {
        "diff": text[:MAX_DIFF_CHARS],
        "truncated": len(text) > MAX_DIFF_CHARS,
        "changed_lines": sum(1 for x in lines if x[:1] in "+-" and x[:3] not in ("+++", "---")),
        "similarity": round(difflib.SequenceMatcher(None, original, edited).ratio(), 4),
    }


class StoreFeedback:
    """Feedback sink over Keel's store, optionally forwarding to the learning loop."""

    def __init__(self, engine: Engine, learner: Learner | None = None) -> None:
        self._engine = engine
        self._learner = learner
        self._notes: dict[str, str] = {}

    def record(
        self,
        viewer: Viewer,
        *,
        kind: str,
        text: str,
        thread_id: str | None = None,
        deal_id: str | None = None,
        payload: dict[str, Any] | None = None,
        message_id: str | None = None,
    ) -> str:
        """Store one piece of feedback, tell the learner, and return the feedback id."""
        with session_scope(self._engine) as session:
            feedback_id = record_feedback(
                session,
                org_id=viewer.org_id,
                user_id=viewer.user_id,
                kind=kind,
                text=text,
                thread_id=thread_id,
                message_id=message_id,
                deal_id=deal_id,
                payload=payload,
            )
        if self._learner is not None:
            try:
                note = self._learner.on_feedback(
                    viewer, kind=kind, text=text, payload=payload or {}
                )
            except Exception:  # learning must never lose the stored feedback
                logger.exception("learner failed on feedback %s", feedback_id)
            else:
                if note:
                    self._notes[feedback_id] = note
        return feedback_id

    def confirmation(self, feedback_id: str) -> str | None:
        """What the learning loop said about a piece of feedback (one short line), if anything."""
        return self._notes.pop(feedback_id, None)

    def record_draft_edit(
        self,
        viewer: Viewer,
        *,
        original: str,
        edited: str,
        draft_kind: str,
        thread_id: str | None = None,
        deal_id: str | None = None,
    ) -> tuple[str | None, dict[str, Any]]:
        """Store an edited draft with its diff; an unchanged draft stores nothing.

        Returns:
            ``(feedback id or None, diff details)``.
        """
        details = draft_diff(original, edited)
        if original.strip() == edited.strip():
            return None, details
        payload = details | {"original": original[:MAX_DRAFT_CHARS], "draft_kind": draft_kind}
        feedback_id = self.record(
            viewer,
            kind="draft_edit",
            text=edited[:MAX_DRAFT_CHARS],
            thread_id=thread_id,
            deal_id=deal_id,
            payload=payload,
        )
        return feedback_id, details
