"""Channel 3: learn from a rep's edit of a draft Keel wrote.

Each style observation is recorded with the (small) edit weight and the document as its
source: one edited draft is weak evidence and is not applied; the same edit across several
documents adds up until it is. Fact-only edits teach nothing about style and store nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from langchain_core.language_models import BaseChatModel

from agent.learning.edit_diff import EditAnalysis, EditTooLargeError, Observation, analyse_edit
from agent.learning.facts import fact_tokens
from agent.learning.prompts import EditPreferences, edit_messages
from agent.learning.recorder import Candidate, record
from agent.learning.rules import read_correction
from agent.learning.settings import LearningSettings
from memory.preference_models import Evidence, Preference
from memory.preferences import PreferenceStore

__all__ = ["EditReport", "EditTooLargeError", "learn_from_edit"]
logger = logging.getLogger(__name__)


@dataclass
class EditReport:
    """What one edit taught.

    Attributes:
        status: ``learned``, ``fact_only``, ``no_change`` or ``no_style_signal``.
        message: One line for the rep.
        preferences: Preferences created or strengthened (weak until seen in several drafts).
        applied_now: Those strong enough to be applied from now on.
        fact_changes: Changed facts (not learned).
        analysis: The full reading of the diff.
    """

    status: Literal["learned", "fact_only", "no_change", "no_style_signal"]
    message: str
    preferences: list[Preference] = field(default_factory=list)
    applied_now: list[Preference] = field(default_factory=list)
    fact_changes: list[str] = field(default_factory=list)
    analysis: EditAnalysis | None = None


def _llm_observations(chat_model: BaseChatModel, analysis: EditAnalysis) -> list[Observation]:
    try:
        raw = chat_model.with_structured_output(EditPreferences, max_tokens=200).invoke(
            edit_messages(analysis.changes)
        )
        answer = raw if isinstance(raw, EditPreferences) else EditPreferences.model_validate(raw)
    except Exception as exc:  # the deterministic detectors still stand
        logger.warning("LLM edit reading failed: %s", exc)
        return []
    diff_text = " ".join(analysis.changes).lower()
    out = []
    for item in answer.preferences:
        quote = item.quote.strip().lower()
        if not quote or quote not in diff_text or fact_tokens(item.statement):
            continue  # unverifiable or about facts
        r = read_correction(item.statement)
        out.append(
            Observation(r.statement, item.kind, r.polarity, r.target, r.contrast, item.quote)
        )
    return out


def learn_from_edit(
    store: PreferenceStore,
    settings: LearningSettings,
    *,
    org_id: str,
    user_id: str,
    draft: str,
    edited: str,
    document_id: str,
    now: datetime,
    chat_model: BaseChatModel | None = None,
) -> EditReport:
    """Diff a draft with the rep's edited version and learn the style changes.

    Args:
        store: The preference store.
        settings: Learning settings (bounds, edit weight).
        org_id: The rep's org.
        user_id: The rep.
        draft: What Keel wrote.
        edited: What the rep made of it.
        document_id: Id of the draft (the same document counts once).
        now: When the edit was made (UTC-aware).
        chat_model: Optional model for changes no detector reads.

    Raises:
        EditTooLargeError: The inputs exceed the bounds (nothing is diffed or stored).
    """
    if draft.strip() == edited.strip():
        return EditReport("no_change", "The draft was not changed; nothing to learn.")
    analysis = analyse_edit(draft, edited, settings)
    observations = list(analysis.observations)
    if not observations and chat_model is not None and not analysis.fact_changes:
        observations = _llm_observations(chat_model, analysis)[: settings.max_edit_statements]
    if not observations:
        if analysis.fact_changes:
            return EditReport(
                "fact_only",
                f"Only facts changed ({len(analysis.fact_changes)}); no style preference learned.",
                fact_changes=analysis.fact_changes,
                analysis=analysis,
            )
        return EditReport(
            "no_style_signal", "No style preference found in this edit.", analysis=analysis
        )
    learned: list[Preference] = []
    for ob in observations:
        evidence = Evidence(
            channel="edit",
            source_id=document_id,
            quote=ob.quote,
            user_id=user_id,
            at=now,
            weight=settings.weight_edit,
        )
        done = record(
            store,
            settings,
            org_id=org_id,
            user_id=user_id,
            candidate=Candidate(ob.statement, ob.polarity, ob.target, ob.contrast, ob.kind),
            evidence=evidence,
        )
        if all(p.id != done.preference.id for p in learned):
            learned.append(done.preference)
    strong = [p for p in learned if p.strength >= settings.apply_min_strength]
    weak = len(learned) - len(strong)
    message = f"Learned from your edit: {len(strong)} preference(s) now applied"
    message += f", {weak} noted as weak evidence until seen in more drafts." if weak else "."
    return EditReport(
        "learned",
        message,
        preferences=learned,
        applied_now=strong,
        fact_changes=analysis.fact_changes,
        analysis=analysis,
    )
