"""The preference loop as the chat sees it, opened lazily on first use.

Opening the preference store loads the sentence-transformers embedder and Qdrant (seconds,
hundreds of MB), which a deal lookup never needs; so the learning service is built the first
time a draft, a preference command or a piece of feedback needs it. If it cannot be built
(e.g. another process holds Qdrant's local-mode folder) the chat keeps working and the
tools say plainly that preferences are unavailable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel

from memory.settings import MemorySettings
from tools.context import Preference, PreferencesUnavailableError, Viewer

logger = logging.getLogger(__name__)


def default_service(
    settings: MemorySettings, chat_model: Callable[[], BaseChatModel | None]
) -> Callable[[], Any]:
    """Builder of the configured learning service (Qdrant + all-MiniLM-L6-v2)."""

    def build() -> Any:
        from agent.learning.service import LearningService
        from memory.embeddings import SentenceTransformerEmbedder
        from memory.preferences import open_preference_store

        store = open_preference_store(SentenceTransformerEmbedder(), settings)
        return LearningService(store, chat_model=chat_model())

    return build


class LazyLearning:
    """``PreferenceSource`` for the tools and ``Learner`` for stored feedback, built on demand.

    Args:
        build: Returns an ``agent.learning.service.LearningService`` (called once, on first use).
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._built = False
        self._prefs: Any = None
        self._feedback: Any = None
        self.error: str | None = None

    def _ensure(self) -> bool:
        with self._lock:
            if not self._built:
                self._built = True
                try:
                    from agent.learning.adapters import ToolFeedback, ToolPreferences

                    service = self._build()
                    self._prefs, self._feedback = ToolPreferences(service), ToolFeedback(service)
                except Exception as exc:  # the chat works without the loop
                    self.error = f"{type(exc).__name__}: {exc}"
                    logger.error("preference store unavailable: %s", self.error)
            return self._prefs is not None

    # --- PreferenceSource -------------------------------------------------------------------
    def _adapter(self) -> Any:
        if not self._ensure():
            raise PreferencesUnavailableError(
                f"the preference store could not be opened ({self.error})"
            )
        return self._prefs

    def list_for(self, viewer: Viewer) -> list[Preference]:
        """The viewer's and their org's active preferences."""
        return list(self._adapter().list_for(viewer))

    def relevant_for(self, viewer: Viewer, text: str, *, limit: int = 5) -> list[Preference]:
        """Preferences to apply to a drafting request."""
        return list(self._adapter().relevant_for(viewer, text, limit=limit))

    def edit(self, viewer: Viewer, preference_id: str, statement: str) -> Preference | None:
        """Reword a preference (``None`` when the viewer may not)."""
        found: Preference | None = self._adapter().edit(viewer, preference_id, statement)
        return found

    def delete(self, viewer: Viewer, preference_id: str) -> bool:
        """Stop applying a preference (``False`` when the viewer may not)."""
        return bool(self._adapter().delete(viewer, preference_id))

    # --- Learner (called by agent.feedback.StoreFeedback after storing) ----------------------
    def on_feedback(
        self, viewer: Viewer, *, kind: str, text: str, payload: dict[str, Any]
    ) -> str | None:
        """Learn from stored feedback; return the line to show the rep, if any."""
        if not self._ensure():
            return None
        if kind == "draft_edit":
            self._feedback.record(
                viewer,
                kind="edit",
                text=text,
                payload={
                    "draft": payload.get("original", ""),
                    "edited": text,
                    "document_id": payload.get("document_id"),
                },
            )
        elif kind == "correction" or (kind == "thumbs_down" and text.strip()):
            self._feedback.record(viewer, kind="correction", text=text, payload={})
        else:
            return None
        return getattr(self._feedback.last, "confirmation", None)
