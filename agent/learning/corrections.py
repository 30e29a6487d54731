"""Channel 1: a rep's correction in chat, captured at once and confirmed in one short line.

Order of checks: size, abuse (insults are dropped; an instruction inside is kept),
pleasantries, "stop doing that" (removes what was just applied), fact fixes (not
preferences), then the rule-based reading (the LLM only for messages no rule recognises)
and the shared recording path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from langchain_core.language_models import BaseChatModel

from agent.learning.apply import stop_applying
from agent.learning.classify import (
    abuse_terms,
    classify_kind,
    content_words,
    is_pleasantry,
    strip_abuse,
)
from agent.learning.concepts import tags
from agent.learning.facts import is_fact_fix
from agent.learning.prompts import CorrectionReading, correction_messages
from agent.learning.recorder import Candidate, record
from agent.learning.rules import Reading, is_stop_that, read_correction, squash
from agent.learning.settings import LearningSettings
from memory.preference_models import Evidence, Preference
from memory.preferences import PreferenceStore

logger = logging.getLogger(__name__)

Status = Literal[
    "learned",
    "strengthened",
    "already_known",
    "removed",
    "fact_fix",
    "abusive",
    "not_a_preference",
    "too_long",
    "empty",
]


@dataclass
class CaptureResult:
    """What a chat correction did, and the one line to tell the rep.

    Attributes:
        status: Outcome (``learned``, ``strengthened``, ``removed``, ``fact_fix``, ...).
        confirmation: One short line for the rep.
        preference: The preference learned or strengthened, if any.
        retired: Preferences retired by it (contradicted or removed).
        promoted: An org preference created or updated because reps now agree.
        source: ``rules`` or ``llm``: who read the message.
    """

    status: Status
    confirmation: str
    preference: Preference | None = None
    retired: list[Preference] = field(default_factory=list)
    promoted: Preference | None = None
    source: str = "rules"


_STEM = re.compile(r"[a-z]{4,}")
_COMMON = {"that", "this", "with", "from", "them", "they", "their", "your", "about", "please"}


def grounded(statement: str, message: str) -> bool:
    """True if a model's statement rests on the rep's words (a shared concept or word stem).

    The small model tends to echo its prompt's example instead of reading the message.
    """
    said = tags(message)
    if said & tags(statement):
        return True
    stems = {w[:5] for w in _STEM.findall(message.lower()) if w not in _COMMON}
    return any(w[:5] in stems for w in _STEM.findall(statement.lower()) if w not in _COMMON)


def _llm_reading(chat_model: BaseChatModel, text: str) -> Reading | None | Literal["fact"]:
    try:
        runnable = chat_model.with_structured_output(CorrectionReading, max_tokens=80)
        raw = runnable.invoke(correction_messages(text))
        answer = (
            raw if isinstance(raw, CorrectionReading) else CorrectionReading.model_validate(raw)
        )
    except Exception as exc:  # a failing model leaves the rule-based reading in place
        logger.warning("LLM correction reading failed: %s", exc)
        return None
    if answer.kind_of_message == "fact_fix":
        return "fact"
    if answer.kind_of_message != "style_preference" or content_words(answer.statement) < 2:
        return None
    if not grounded(answer.statement, text):
        logger.info("LLM statement %r not grounded in %r; dropped", answer.statement, text)
        return None
    again = read_correction(answer.statement)
    return Reading(
        again.statement, answer.polarity, again.target, again.contrast, True, answer.kind
    )


def capture_correction(
    store: PreferenceStore,
    settings: LearningSettings,
    *,
    org_id: str,
    user_id: str,
    message: str,
    source_id: str,
    now: datetime,
    last_applied: Sequence[str] = (),
    chat_model: BaseChatModel | None = None,
) -> CaptureResult:
    """Learn from a rep's correction in chat and say in one line what was learned.

    Args:
        store: The preference store.
        settings: Learning settings.
        org_id: The rep's org.
        user_id: The rep.
        message: The rep's words, e.g. "no, frame it around cost savings, not velocity".
        source_id: Id of the chat message (one message counts once).
        now: When it was said (UTC-aware).
        last_applied: Ids of the preferences applied to the answer being corrected (what
            "stop doing that" refers to).
        chat_model: Optional model for messages no rule recognises.
    """
    text = squash(message)
    if not text:
        return CaptureResult("empty", "There was nothing to learn from an empty message.")
    if len(text) > settings.max_correction_chars:
        return CaptureResult(
            "too_long",
            f"That message is {len(text)} characters; I read corrections up to "
            f"{settings.max_correction_chars}. Tell me the change in a sentence.",
        )
    abusive = abuse_terms(text)
    if abusive:
        text = strip_abuse(text)
        if content_words(text) < 2 or is_pleasantry(text):
            return CaptureResult(
                "abusive",
                "I didn't store that. Tell me what to change, e.g. 'shorter' or 'no jargon'.",
            )
    if is_pleasantry(text):
        return CaptureResult("not_a_preference", "Glad that works.")
    if is_stop_that(text):
        retired = stop_applying(
            store, org_id=org_id, user_id=user_id, preference_ids=last_applied, now=now
        )
        if not retired:
            return CaptureResult(
                "not_a_preference",
                "I couldn't tell which preference to stop; ask me to list them and name one.",
            )
        names = "; ".join(f'"{p.statement}"' for p in retired)
        return CaptureResult("removed", f"Stopped applying {names}.", retired=retired)
    reading = read_correction(text)
    contrast = (reading.target, reading.contrast) if reading.contrast else None
    if is_fact_fix(text, contrast=contrast):
        return CaptureResult(
            "fact_fix",
            "Got it, that's a fact fix, not a style preference, so I didn't store one.",
        )
    source = "rules"
    if not reading.recognised and chat_model is not None:
        llm = _llm_reading(chat_model, text)
        if llm == "fact":
            return CaptureResult(
                "fact_fix", "Got it, that's a fact fix, not a style preference.", source="llm"
            )
        if llm is not None:
            reading, source = llm, "llm"
    if content_words(reading.statement) < 1 or (
        not reading.recognised and content_words(reading.statement) < 2
    ):
        return CaptureResult(
            "not_a_preference",
            "I couldn't read a preference in that; try e.g. 'keep emails short'.",
        )
    kind = classify_kind(reading.statement, reading.target)
    if kind == "other" and reading.kind:
        kind = reading.kind
    evidence = Evidence(
        channel="chat",
        source_id=source_id,
        quote=message[:600],
        user_id=user_id,
        at=now,
        weight=settings.weight_chat,
    )
    done = record(
        store,
        settings,
        org_id=org_id,
        user_id=user_id,
        candidate=Candidate(
            reading.statement, reading.polarity, reading.target, reading.contrast, kind
        ),
        evidence=evidence,
    )
    pref = done.preference
    if done.action == "unchanged":
        status: Status = "already_known"
        line = f'Already noted: "{pref.statement}".'
    elif done.action == "merged":
        status = "strengthened"
        line = f'Noted again ({pref.times_seen}x): "{pref.statement}".'
    else:
        status = "learned"
        line = f'Noted: "{pref.statement}". I\'ll apply it from now on.'
    if done.retired:
        line += " Replaces " + "; ".join(f'"{p.statement}"' for p in done.retired) + "."
    return CaptureResult(
        status, line, preference=pref, retired=done.retired, promoted=done.promoted, source=source
    )
