"""What every tool receives without the model choosing it: who is asking, the store, the clock.

Infrastructure reaches tools only through :class:`ToolContext` (never through parameters the
model fills in), which is also how a rep is kept inside their own deals. Collaborators that
other packages provide (preferences, scores, feedback capture) sit behind narrow
``Protocol``s so each tool works with what exists and says plainly what does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Viewer:
    """The signed-in seller-side user a tool acts for.

    Attributes:
        user_id: ``User.id``.
        org_id: The user's org; no tool ever reads another org.
        name: Display name.
        role: ``rep``, ``manager`` or ``admin``.
        team: Team name, if any.
        manager_id: The user's manager, if any.
        timezone: IANA timezone name, used to resolve "last Monday".
    """

    user_id: str
    org_id: str
    name: str
    role: str
    team: str | None = None
    manager_id: str | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class Preference:
    """A learned preference as tools show it.

    Attributes:
        id: Stable id in the preference store.
        statement: Plain statement ("frame value around cost savings").
        scope: ``"user"`` or ``"org"``.
        kind: Tone, framing, structure, ...
        seen: How often the evidence was seen.
    """

    id: str
    statement: str
    scope: str = "user"
    kind: str = ""
    seen: int = 1


class PreferencesUnavailableError(RuntimeError):
    """The preference store exists in this installation but cannot be reached right now."""


class PreferenceSource(Protocol):
    """Narrow view of the preference store (``memory.preferences``) the tools need.

    Any method may raise :class:`PreferencesUnavailableError`.
    """

    def list_for(self, viewer: Viewer) -> list[Preference]:
        """Return the user's and their org's active preferences."""
        ...

    def relevant_for(self, viewer: Viewer, text: str, *, limit: int = 5) -> list[Preference]:
        """Return the preferences most relevant to a drafting request."""
        ...

    def edit(self, viewer: Viewer, preference_id: str, statement: str) -> Preference | None:
        """Change a preference's statement; ``None`` if the viewer may not edit it."""
        ...

    def delete(self, viewer: Viewer, preference_id: str) -> bool:
        """Retire a preference; ``False`` if unknown or not the viewer's to retire."""
        ...


class FeedbackSink(Protocol):
    """Where corrections and edits go so the preference loop can learn from them."""

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
        """Store one piece of feedback and return its id."""
        ...


@runtime_checkable
class ConfirmingFeedbackSink(FeedbackSink, Protocol):
    """A feedback sink that can also say what the learning loop made of the feedback."""

    def confirmation(self, feedback_id: str) -> str | None:
        """One short line for the user about ``feedback_id`` (e.g. "Got it: ..."), if any."""
        ...


class ScoreSource(Protocol):
    """Where a deal's score card comes from (``memory.scoring_store`` by default)."""

    def latest(self, org_id: str, deal_id: str, *, as_of: datetime) -> dict[str, Any] | None:
        """Return the deal's score card as of ``as_of`` (newest known), or ``None``."""
        ...

    def many(
        self, org_id: str, deal_ids: Sequence[str], *, as_of: datetime
    ) -> dict[str, dict[str, Any]]:
        """Return score cards of several deals (deals without one are left out)."""
        ...

    def history(
        self, org_id: str, deal_id: str, *, as_of: datetime
    ) -> Sequence[tuple[datetime, float]]:
        """Return ``(as_of, win_probability)`` pairs up to ``as_of``, in time order."""
        ...


@dataclass
class ToolContext:
    """Everything a tool call may use, built by the caller (graph, CLI, tests).

    Attributes:
        engine: The store.
        viewer: Who is asking (access is enforced against this user).
        now: The instant "now" means; injected so relative dates are reproducible.
        chat_model: Model for drafting; ``None`` gives deterministic template drafts.
        preferences: Preference store, when available.
        scores: Score source; ``None`` means the stored score history.
        feedback: Feedback sink, when available.
        thread_id: Conversation id, recorded with feedback.
        request: The user's message this turn, as typed (drafting reads instructions from it).
        system_prompt: The agent's system prompt; a tool's own model call starts with it so
            the embedded model can reuse the prompt prefix it already has cached.
    """

    engine: Engine
    viewer: Viewer
    now: datetime
    chat_model: BaseChatModel | None = None
    preferences: PreferenceSource | None = None
    scores: ScoreSource | None = None
    feedback: FeedbackSink | None = None
    thread_id: str | None = None
    request: str = ""
    system_prompt: str = ""
