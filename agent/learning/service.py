"""The learning loop's front door for the agent, the chat UI and the CLI, with role checks.

:class:`LearningService` bundles the store, the settings, an optional chat model and a clock,
and acts for a :class:`tools.context.Viewer` (built from ``memory.models.User``): reps manage
their own preferences; managers and admins also see, edit and retire org preferences.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from agent.learning.apply import record_applied, relevant_preferences, stop_applying
from agent.learning.classify import classify_kind
from agent.learning.corrections import CaptureResult, capture_correction
from agent.learning.edits import EditReport, learn_from_edit
from agent.learning.promotion import SweepReport, sweep_promotions
from agent.learning.rules import read_correction, squash
from agent.learning.settings import LearningSettings
from agent.learning.threads import ThreadReport, analyse_thread
from memory.preference_index import PrefFilter
from memory.preference_models import MAX_STATEMENT_CHARS, Evidence, Preference
from memory.preferences import PreferenceStore
from tools.context import Viewer

ScopeChoice = Literal["all", "user", "org"]
MANAGER_ROLES = frozenset({"manager", "admin"})


class PreferenceAccessError(PermissionError):
    """The viewer may not see or change this preference."""


class PreferenceNotFoundError(LookupError):
    """No such preference in the viewer's org."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LearningService:
    """Capture, apply and manage preferences on behalf of one viewer at a time.

    Args:
        store: The preference store.
        settings: Learning settings (default: from the environment).
        chat_model: Optional model for messages and edits the rules cannot read.
        clock: Returns "now" (UTC-aware); injected for reproducible tests.
    """

    def __init__(
        self,
        store: PreferenceStore,
        settings: LearningSettings | None = None,
        *,
        chat_model: BaseChatModel | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.store = store
        self.settings = settings or LearningSettings()
        self.chat_model = chat_model
        self.clock = clock

    # --- capture ---------------------------------------------------------------------------
    def correct(
        self,
        viewer: Viewer,
        message: str,
        *,
        source_id: str | None = None,
        last_applied: Sequence[str] = (),
    ) -> CaptureResult:
        """Channel 1: learn from a correction in chat; ``confirmation`` is the line to show."""
        return capture_correction(
            self.store,
            self.settings,
            org_id=viewer.org_id,
            user_id=viewer.user_id,
            message=message,
            source_id=source_id or f"chat:{uuid.uuid4()}",
            now=self.clock(),
            last_applied=last_applied,
            chat_model=self.chat_model,
        )

    def learn_edit(
        self, viewer: Viewer, draft: str, edited: str, *, document_id: str
    ) -> EditReport:
        """Channel 3: learn from the rep's edit of a draft (raises ``EditTooLargeError``)."""
        return learn_from_edit(
            self.store,
            self.settings,
            org_id=viewer.org_id,
            user_id=viewer.user_id,
            draft=draft,
            edited=edited,
            document_id=document_id,
            now=self.clock(),
            chat_model=self.chat_model,
        )

    def analyse_thread(
        self,
        viewer: Viewer,
        thread_id: str,
        messages: Sequence[BaseMessage | Mapping[str, Any]],
        *,
        use_llm: bool = False,
    ) -> ThreadReport:
        """Channel 2: analyse a finished thread of ``viewer`` (call from the scheduler)."""
        return analyse_thread(
            self.store,
            self.settings,
            org_id=viewer.org_id,
            user_id=viewer.user_id,
            thread_id=thread_id,
            messages=messages,
            now=self.clock(),
            chat_model=self.chat_model if use_llm else None,
        )

    # --- application ---------------------------------------------------------------------
    def relevant(
        self,
        viewer: Viewer,
        task: str,
        *,
        limit: int | None = None,
        kinds: Sequence[str] | None = None,
    ) -> list[Preference]:
        """Preferences to apply to a draft or briefing for ``viewer`` (user + org)."""
        return relevant_preferences(
            self.store,
            self.settings,
            org_id=viewer.org_id,
            user_id=viewer.user_id,
            task=task,
            limit=limit,
            kinds=kinds,
        )

    def applied(self, viewer: Viewer, preference_ids: Sequence[str]) -> list[Preference]:
        """Report which preferences shaped what was just shown to ``viewer``."""
        return record_applied(
            self.store, org_id=viewer.org_id, preference_ids=preference_ids, at=self.clock()
        )

    def stop(self, viewer: Viewer, preference_ids: Sequence[str]) -> list[Preference]:
        """Stop applying these preferences to ``viewer`` ("stop doing that")."""
        return stop_applying(
            self.store,
            org_id=viewer.org_id,
            user_id=viewer.user_id,
            preference_ids=preference_ids,
            now=self.clock(),
        )

    # --- management ----------------------------------------------------------------------
    def list(
        self,
        viewer: Viewer,
        *,
        scope: ScopeChoice = "all",
        user_id: str | None = None,
        include_retired: bool = False,
    ) -> list[Preference]:
        """List preferences the viewer may see (own + org; managers may name another rep)."""
        owner = user_id or viewer.user_id
        if owner != viewer.user_id and viewer.role not in MANAGER_ROLES:
            raise PreferenceAccessError(
                f"{viewer.user_id} ({viewer.role}) may not read {owner}'s preferences"
            )
        if scope == "org":
            flt = PrefFilter(scope="org", include_retired=include_retired)
        elif scope == "user":
            flt = PrefFilter(user_id=owner, scope="user", include_retired=include_retired)
        else:
            flt = PrefFilter(visible_to=owner, include_retired=include_retired)
        return self.store.list(viewer.org_id, flt)

    def show(self, viewer: Viewer, preference_id: str) -> Preference:
        """Return one preference the viewer may see."""
        pref = self.store.get(viewer.org_id, preference_id)
        if pref is None:
            raise PreferenceNotFoundError(
                f"no preference {preference_id!r} in org {viewer.org_id!r}"
            )
        if pref.scope == "user" and pref.user_id != viewer.user_id:
            if viewer.role not in MANAGER_ROLES:
                raise PreferenceAccessError(f"preference {preference_id} belongs to another rep")
        return pref

    def _changeable(self, viewer: Viewer, preference_id: str) -> Preference:
        pref = self.show(viewer, preference_id)
        if pref.scope == "org" and viewer.role not in MANAGER_ROLES:
            raise PreferenceAccessError("only managers and admins change org preferences")
        if pref.scope == "user" and pref.user_id != viewer.user_id and viewer.role != "admin":
            raise PreferenceAccessError("only the rep (or an admin) changes a rep's preference")
        return pref

    def edit(self, viewer: Viewer, preference_id: str, statement: str) -> Preference:
        """Reword a preference (the old wording is kept in its evidence)."""
        text = squash(statement)
        if not text or len(text) > MAX_STATEMENT_CHARS:
            raise ValueError(
                f"a statement needs 1-{MAX_STATEMENT_CHARS} characters, got {len(text)}"
            )
        pref = self._changeable(viewer, preference_id)
        now = self.clock()
        pref.evidence.append(
            Evidence(channel="manual", source_id=f"edit:{now.isoformat()}",
                     quote=f"was: {pref.statement}", user_id=viewer.user_id, at=now, weight=0.0)
        )  # fmt: skip
        reading = read_correction(text)
        pref.statement, pref.polarity = text, reading.polarity
        pref.target, pref.contrast = reading.target, reading.contrast
        pref.edited_by = viewer.user_id
        return self.store.save(pref, reembed=True)

    def retire(self, viewer: Viewer, preference_id: str, *, reason: str = "") -> Preference:
        """Retire a preference (kept, with the time it stopped holding)."""
        pref = self._changeable(viewer, preference_id)
        done = self.store.retire(
            viewer.org_id,
            pref.id,
            at=self.clock(),
            reason=reason or f"retired by {viewer.user_id}",
            by=viewer.user_id,
        )
        assert done is not None
        return done

    def purge(self, viewer: Viewer, preference_id: str) -> bool:
        """Delete a preference for good (an explicit request, e.g. privacy)."""
        self._changeable(viewer, preference_id)
        return self.store.delete(viewer.org_id, preference_id)

    def add_org_preference(self, viewer: Viewer, statement: str, *, kind: str = "") -> Preference:
        """A manager states an org preference directly (applied to every rep at once)."""
        if viewer.role not in MANAGER_ROLES:
            raise PreferenceAccessError("only managers and admins add org preferences")
        text = squash(statement)
        if not text:
            raise ValueError("an org preference needs a statement")
        r = read_correction(text)
        now = self.clock()
        pref = Preference(
            id=str(uuid.uuid4()), org_id=viewer.org_id, scope="org",
            kind=kind or classify_kind(text, r.target), statement=text[:MAX_STATEMENT_CHARS],
            polarity=r.polarity, target=r.target, contrast=r.contrast, first_seen=now,
            last_seen=now, valid_from=now, edited_by=viewer.user_id,
        )  # fmt: skip
        pref.add_evidence(
            Evidence(channel="manual", source_id=f"manual:{pref.id}", quote=text,
                     user_id=viewer.user_id, at=now, weight=self.settings.weight_manual)
        )  # fmt: skip
        return self.store.add(pref)

    def promote(self, viewer: Viewer) -> SweepReport:
        """Run a full promotion sweep of the viewer's org (managers and admins)."""
        if viewer.role not in MANAGER_ROLES:
            raise PreferenceAccessError("only managers and admins run the promotion sweep")
        return sweep_promotions(self.store, self.settings, org_id=viewer.org_id, now=self.clock())
