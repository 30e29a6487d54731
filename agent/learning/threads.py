"""Channel 2: background analysis of a finished (or idle) conversation for implicit signals.

The app's scheduler calls :func:`analyse_thread` with a thread's messages once
:func:`due_for_analysis` says it is idle or ended. Signals read deterministically:

* a rep message right after Keel's answer that reads as a correction and was not captured
  live (the chat channel's evidence is matched by quote) -> recorded with the thread weight;
* the same correction given twice -> both count (Keel had not followed it);
* a pasted-back edited version of Keel's draft -> edit tracking;
* an acknowledgement after an answer that applied preferences -> those are reinforced;
* a rep who moved on without answering Keel's question -> counted as ignored.

Re-running on the same thread is idempotent: every source id is ``<thread>:<index>``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from agent.learning.classify import abuse_terms, classify_kind, is_pleasantry, strip_abuse
from agent.learning.edit_diff import EditTooLargeError
from agent.learning.edits import learn_from_edit
from agent.learning.facts import is_fact_fix
from agent.learning.matching import Shape, equivalent, shape
from agent.learning.prompts import ThreadPreferences, thread_messages
from agent.learning.recorder import Candidate, record
from agent.learning.rules import is_stop_that, read_correction, squash
from agent.learning.settings import LearningSettings
from memory.preference_index import PrefFilter
from memory.preference_models import Evidence, Preference
from memory.preferences import PreferenceStore

logger = logging.getLogger(__name__)
_EDIT_MIN_CHARS = 150


@dataclass(frozen=True)
class Turn:
    """One message of a thread: ``role`` is ``user`` or ``assistant``."""

    role: str
    text: str
    applied: tuple[str, ...] = ()


@dataclass
class ThreadReport:
    """What the analysis of one thread found and learned."""

    thread_id: str
    corrections: int = 0
    repeated: int = 0
    already_captured: int = 0
    accepted: int = 0
    ignored: int = 0
    edits: int = 0
    learned: list[Preference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def due_for_analysis(
    last_message_at: datetime, now: datetime, settings: LearningSettings, *, ended: bool = False
) -> bool:
    """True if a thread has ended or been idle for ``thread_idle_minutes``."""
    return ended or now - last_message_at >= timedelta(minutes=settings.thread_idle_minutes)


def to_turns(messages: Sequence[BaseMessage | Mapping[str, Any]]) -> list[Turn]:
    """Normalise LangChain messages or ``{"role", "content", "applied_preferences"}`` dicts.

    An assistant message names the preferences applied to it in
    ``additional_kwargs["applied_preferences"]`` (LangChain) or ``applied_preferences`` (dict).
    """
    out = []
    for m in messages:
        if isinstance(m, BaseMessage):
            role = {"human": "user", "ai": "assistant"}.get(m.type, m.type)
            text = str(m.text)
            applied = m.additional_kwargs.get("applied_preferences", ())
        else:
            role = str(m.get("role", ""))
            text, applied = str(m.get("content", "")), m.get("applied_preferences", ())
        if role in ("user", "assistant"):
            out.append(Turn(role, text, tuple(str(a) for a in applied or ())))
    return out


def _captured_quotes(store: PreferenceStore, org_id: str, user_id: str) -> set[str]:
    prefs = store.list(org_id, PrefFilter(user_id=user_id, include_retired=True))
    return {squash(e.quote) for p in prefs for e in p.evidence if e.channel == "chat"}


def analyse_thread(
    store: PreferenceStore,
    settings: LearningSettings,
    *,
    org_id: str,
    user_id: str,
    thread_id: str,
    messages: Sequence[BaseMessage | Mapping[str, Any]],
    now: datetime,
    chat_model: BaseChatModel | None = None,
) -> ThreadReport:
    """Analyse a finished thread for implicit preference signals and record them.

    Args:
        store: The preference store.
        settings: Learning settings.
        org_id: The rep's org.
        user_id: The rep.
        thread_id: The conversation's id (source ids are ``<thread_id>:<index>``).
        messages: The thread's messages, oldest first.
        now: When the analysis runs (UTC-aware).
        chat_model: Optional model asked for up to three more implicit preferences.
    """
    turns = to_turns(messages)[-settings.max_thread_messages :]
    report = ThreadReport(thread_id)
    captured = _captured_quotes(store, org_id, user_id)
    seen: list[Shape] = []
    for i, turn in enumerate(turns):
        if turn.role != "user" or i == 0 or turns[i - 1].role != "assistant":
            continue
        prev = turns[i - 1]
        text = strip_abuse(turn.text) if abuse_terms(turn.text) else squash(turn.text)
        source = f"{thread_id}:{i}"
        if len(turn.text) >= _EDIT_MIN_CHARS and len(prev.text) >= _EDIT_MIN_CHARS:
            if SequenceMatcher(None, prev.text, turn.text, autojunk=True).quick_ratio() >= 0.6:
                try:
                    learned = learn_from_edit(
                        store, settings, org_id=org_id, user_id=user_id, draft=prev.text,
                        edited=turn.text, document_id=source, now=now,
                    )  # fmt: skip
                except EditTooLargeError as exc:
                    report.notes.append(f"{source}: {exc}")
                    continue
                report.edits += 1
                report.learned += learned.preferences
                continue
        if is_pleasantry(text):
            if prev.applied:
                report.accepted += 1
                _reinforce(store, settings, org_id, user_id, prev.applied, source, now, report)
            continue
        if prev.text.rstrip().endswith("?") and not turn.text.strip().endswith("?"):
            if SequenceMatcher(None, prev.text.lower(), text.lower()).quick_ratio() < 0.2:
                report.ignored += 1
        if is_stop_that(text) or len(text) > settings.max_correction_chars:
            continue
        reading = read_correction(text)
        if not reading.recognised or is_fact_fix(text):
            continue
        report.corrections += 1
        now_shape = shape(kind=classify_kind(reading.statement, reading.target),
                          polarity=reading.polarity, statement=reading.statement,
                          target=reading.target, contrast=reading.contrast)  # fmt: skip
        if any(equivalent(now_shape, old, 0.0, 1.0) for old in seen):
            report.repeated += 1
        seen.append(now_shape)
        if squash(turn.text) in captured:
            report.already_captured += 1
            continue
        done = record(
            store,
            settings,
            org_id=org_id,
            user_id=user_id,
            candidate=Candidate(reading.statement, reading.polarity, reading.target, reading.contrast),
            evidence=Evidence(channel="thread", source_id=source, quote=turn.text, user_id=user_id,
                              at=now, weight=settings.weight_thread),
        )  # fmt: skip
        report.learned.append(done.preference)
    if chat_model is not None:
        _llm_pass(store, settings, org_id, user_id, thread_id, turns, now, chat_model, report)
    return report


def _reinforce(
    store: PreferenceStore,
    settings: LearningSettings,
    org_id: str,
    user_id: str,
    applied: Sequence[str],
    source: str,
    now: datetime,
    report: ThreadReport,
) -> None:
    for pid in applied:
        pref = store.get(org_id, pid)
        if pref is None or not pref.applies_to(user_id) or pref.scope != "user":
            continue
        ev = Evidence(channel="thread", source_id=f"{source}:accepted", quote="accepted",
                      user_id=user_id, at=now, weight=settings.weight_thread / 2)  # fmt: skip
        if pref.add_evidence(ev):
            store.save(pref)


def _llm_pass(
    store: PreferenceStore,
    settings: LearningSettings,
    org_id: str,
    user_id: str,
    thread_id: str,
    turns: list[Turn],
    now: datetime,
    chat_model: BaseChatModel,
    report: ThreadReport,
) -> None:
    pairs = [(t.role, t.text) for t in turns[-12:]]
    try:
        raw = chat_model.with_structured_output(ThreadPreferences, max_tokens=240).invoke(
            thread_messages(pairs)
        )
        answer = (
            raw if isinstance(raw, ThreadPreferences) else ThreadPreferences.model_validate(raw)
        )
    except Exception as exc:  # the deterministic signals above still stand
        logger.warning("LLM thread analysis failed: %s", exc)
        return
    user_text = " ".join(t.text.lower() for t in turns if t.role == "user")
    for k, item in enumerate(answer.preferences):
        quote = squash(item.quote).lower()
        if len(quote) < 3 or quote not in user_text or is_fact_fix(item.statement):
            report.notes.append(f"llm suggestion dropped (unverifiable): {item.statement!r}")
            continue
        r = read_correction(item.statement)
        done = record(
            store,
            settings,
            org_id=org_id,
            user_id=user_id,
            candidate=Candidate(r.statement, r.polarity, r.target, r.contrast, item.kind),
            evidence=Evidence(channel="thread", source_id=f"{thread_id}:llm:{k}", quote=item.quote,
                              user_id=user_id, at=now, weight=settings.weight_thread),
        )  # fmt: skip
        report.learned.append(done.preference)
