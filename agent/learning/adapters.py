"""Adapters giving the tools layer what ``tools.context`` asks for, backed by the learning loop.

``ToolPreferences`` implements ``tools.context.PreferenceSource`` and ``ToolFeedback``
implements ``tools.context.FeedbackSink``, so the graph builds them once from a
:class:`~agent.learning.service.LearningService` and passes them in ``ToolContext``.
"""

from __future__ import annotations

from typing import Any

from agent.learning.edit_diff import EditTooLargeError
from agent.learning.service import LearningService, PreferenceAccessError, PreferenceNotFoundError
from memory.preference_models import Preference as StoredPreference
from tools.context import Preference, Viewer


def to_tool_preference(pref: StoredPreference) -> Preference:
    """The tools' view of a stored preference."""
    return Preference(
        id=pref.id, statement=pref.statement, scope=pref.scope, kind=pref.kind, seen=pref.times_seen
    )


class ToolPreferences:
    """``PreferenceSource`` for the tools: list, retrieve, edit and remove for a viewer."""

    def __init__(self, service: LearningService) -> None:
        self.service = service

    def list_for(self, viewer: Viewer) -> list[Preference]:
        """Return the viewer's own and their org's active preferences."""
        return [to_tool_preference(p) for p in self.service.list(viewer)]

    def relevant_for(self, viewer: Viewer, text: str, *, limit: int = 5) -> list[Preference]:
        """Return the preferences to apply to a drafting request (and count them as applied)."""
        found = self.service.relevant(viewer, text, limit=limit)
        self.service.applied(viewer, [p.id for p in found])
        return [to_tool_preference(p) for p in found]

    def edit(self, viewer: Viewer, preference_id: str, statement: str) -> Preference | None:
        """Reword a preference; ``None`` if the viewer may not."""
        try:
            return to_tool_preference(self.service.edit(viewer, preference_id, statement))
        except (PreferenceAccessError, PreferenceNotFoundError, ValueError):
            return None

    def delete(self, viewer: Viewer, preference_id: str) -> bool:
        """Stop applying a preference; ``False`` if unknown or not the viewer's.

        A rep's own preference is retired; an org preference is retired by a manager, and a
        rep asking to drop one is opted out of it.
        """
        try:
            pref = self.service.show(viewer, preference_id)
        except (PreferenceAccessError, PreferenceNotFoundError):
            return False
        if pref.scope == "org" and viewer.role in ("manager", "admin"):
            self.service.retire(
                viewer, preference_id, reason=f"retired by {viewer.user_id} in chat"
            )
            return True
        return bool(self.service.stop(viewer, [preference_id]))


class ToolFeedback:
    """``FeedbackSink`` for the tools: corrections and draft edits go to the learning loop.

    Attributes:
        last: The last capture result (its ``confirmation`` is the line to show).
    """

    def __init__(self, service: LearningService) -> None:
        self.service = service
        self.last: Any = None

    def record(
        self,
        viewer: Viewer,
        *,
        kind: str,
        text: str,
        thread_id: str | None = None,
        deal_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> str:
        """Learn from one piece of feedback; return the preference id ("" if none was stored).

        ``kind="correction"``: ``text`` is the rep's words; ``payload["last_applied"]`` may
        list the preference ids applied to the answer being corrected. ``kind="edit"``:
        ``payload`` holds ``draft``, ``edited`` and ``document_id``.
        """
        payload = payload or {}
        if kind == "edit":
            try:
                report = self.service.learn_edit(
                    viewer,
                    str(payload.get("draft", "")),
                    str(payload.get("edited", text)),
                    document_id=str(payload.get("document_id") or f"{thread_id}:{deal_id}"),
                )
            except EditTooLargeError as exc:
                self.last = exc
                return ""
            self.last = report
            return report.preferences[0].id if report.preferences else ""
        result = self.service.correct(
            viewer,
            text,
            source_id=str(payload["message_id"]) if "message_id" in payload else None,
            last_applied=[str(x) for x in payload.get("last_applied", ())],
        )
        self.last = result
        return result.preference.id if result.preference else ""
