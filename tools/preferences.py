"""Preference management and in-chat corrections: what Keel has learned about how a rep works."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Literal

from tools.context import (
    ConfirmingFeedbackSink,
    Preference,
    PreferenceSource,
    PreferencesUnavailableError,
    ToolContext,
)
from tools.results import ToolResult

Action = Literal["list", "edit", "delete"]
MAX_TEXT_CHARS = 1000
_UNAVAILABLE = (
    "Keel's preference store is not available in this installation yet, so there are no "
    "learned preferences to list, edit or delete."
)


def _pick(prefs: list[Preference], reference: str) -> Preference | list[Preference] | None:
    ref = reference.strip().lstrip("#").lower()
    if not ref:
        return None
    for p in prefs:
        if p.id == reference.strip():
            return p
    if ref.isdigit() and 1 <= int(ref) <= len(prefs):
        return prefs[int(ref) - 1]
    scored = sorted(
        ((SequenceMatcher(None, ref, p.statement.lower()).ratio(), p) for p in prefs),
        key=lambda sp: -sp[0],
    )
    good = [p for s, p in scored if s >= 0.5 or ref in p.statement.lower()]
    if (
        len(good) > 1
        and scored[0][0] - scored[1][0] < 0.15
        and ref not in good[0].statement.lower()
    ):
        return good[:3]
    return good[0] if good else None


def manage_preferences(ctx: ToolContext, action: Action, preference: str, text: str) -> ToolResult:
    """List, edit or delete the preferences Keel has learned about how the user writes and works.

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        action: "list", "edit" or "delete".
        preference: Which preference (its number in the list, or words from it); empty for list.
        text: For "edit", the new wording; otherwise empty.
    """
    if ctx.preferences is None:
        return ToolResult("manage_preferences", "unavailable", _UNAVAILABLE)
    try:
        return _manage(ctx, ctx.preferences, action, preference, text)
    except PreferencesUnavailableError as exc:
        return ToolResult(
            "manage_preferences", "unavailable", f"Preferences are unavailable right now: {exc}."
        )


def _manage(
    ctx: ToolContext, store: PreferenceSource, action: str, preference: str, text: str
) -> ToolResult:
    prefs = store.list_for(ctx.viewer)
    if action == "list" or action not in ("edit", "delete"):
        if not prefs:
            return ToolResult(
                "manage_preferences", "ok", "Keel has not learned any preferences for you yet."
            )
        lines = ["Preferences Keel applies for you:"]
        lines += [f"{i}. {p.statement} ({p.scope}, seen {p.seen}x)" for i, p in enumerate(prefs, 1)]
        return ToolResult(
            "manage_preferences",
            "ok",
            "\n".join(lines),
            data={"preferences": [p.__dict__ for p in prefs]},
        )
    chosen = _pick(prefs, preference)
    if chosen is None:
        return ToolResult(
            "manage_preferences",
            "not_found",
            f'I can\'t find a preference matching "{preference}". Ask me to list them.',
        )
    if isinstance(chosen, list):
        options = "; ".join(f'"{p.statement}"' for p in chosen)
        return ToolResult("manage_preferences", "ambiguous", f"Which one do you mean: {options}?")
    if action == "delete":
        if not store.delete(ctx.viewer, chosen.id):
            return ToolResult(
                "manage_preferences", "refused", f'You can\'t remove "{chosen.statement}".'
            )
        return ToolResult(
            "manage_preferences",
            "ok",
            f'Removed: "{chosen.statement}". I won\'t apply it any more.',
        )
    new_text = " ".join(text.split())[:MAX_TEXT_CHARS]
    if not new_text:
        return ToolResult(
            "manage_preferences", "missing_input", f'What should "{chosen.statement}" say instead?'
        )
    updated = store.edit(ctx.viewer, chosen.id, new_text)
    if updated is None:
        return ToolResult("manage_preferences", "refused", f'You can\'t edit "{chosen.statement}".')
    return ToolResult("manage_preferences", "ok", f'Updated: "{updated.statement}".')


def record_correction(ctx: ToolContext, text: str) -> ToolResult:
    """Record a correction or a standing instruction from the user ("no, frame it around cost").

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        text: The correction in the user's words.
    """
    text = " ".join(text.split())[:MAX_TEXT_CHARS]
    if not text:
        return ToolResult("record_correction", "missing_input", "What should I correct?")
    if ctx.feedback is None:
        return ToolResult(
            "record_correction",
            "unavailable",
            "I can't store corrections in this installation yet, so this one will not be remembered.",
        )
    feedback_id = ctx.feedback.record(
        ctx.viewer, kind="correction", text=text, thread_id=ctx.thread_id
    )
    sink = ctx.feedback
    note = sink.confirmation(feedback_id) if isinstance(sink, ConfirmingFeedbackSink) else None
    return ToolResult(
        "record_correction",
        "ok",
        note or f'Noted: "{text}". I\'ll use it from now on.',
        data={"feedback_id": feedback_id},
    )
