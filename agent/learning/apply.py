"""Applying preferences: which ones shape a rep's draft or briefing, and reporting their use.

A rep gets their own active, strong-enough preferences plus the org's, except org
preferences they opted out of or that one of their own contradicts (the rep's own wins)
or duplicates. "Stop doing that" retires the rep's own preference, or opts the rep out of
an org one (only a manager retires org preferences).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from agent.learning.matching import contradicts, equivalent, shape_of
from agent.learning.settings import LearningSettings
from memory.preference_index import PrefFilter
from memory.preference_models import Preference
from memory.preferences import PreferenceStore

_POOL = 200


def relevant_preferences(
    store: PreferenceStore,
    settings: LearningSettings,
    *,
    org_id: str,
    user_id: str,
    task: str,
    limit: int | None = None,
    kinds: Sequence[str] | None = None,
) -> list[Preference]:
    """Return the user and org preferences to apply to a task, most relevant first.

    Args:
        store: The preference store.
        settings: Learning settings (strength threshold, default limit).
        org_id: The rep's org.
        user_id: The rep.
        task: What is being produced, e.g. "follow-up email to Acme after the demo" or
            "morning briefing".
        limit: Maximum number returned (default ``settings.relevant_limit``).
        kinds: Only these kinds (e.g. ``("tone", "length")``); ``None`` = all.
    """
    limit = limit or settings.relevant_limit
    hits = store.search(org_id, task, PrefFilter(visible_to=user_id), limit=_POOL)
    allowed = set(kinds) if kinds is not None else None
    usable = [
        h
        for h in hits
        if h.preference.applies_to(user_id)
        and h.preference.strength >= settings.apply_min_strength
        and (allowed is None or h.preference.kind in allowed)
    ]
    own = [h.preference for h in usable if h.preference.scope == "user"]
    own_shapes = [shape_of(p) for p in own]
    chosen: list[tuple[float, Preference]] = []
    for h in usable:
        pref = h.preference
        if pref.scope == "org":
            org_shape = shape_of(pref)
            clash = any(
                contradicts(s, org_shape, 0.0, settings.contradiction_similarity)
                or equivalent(s, org_shape, 0.0, settings.merge_similarity)
                for s in own_shapes
            )
            if clash:
                continue
        # Relevance to the task first; strength and the rep's own words break ties.
        rank = h.score + 0.1 * pref.strength + (0.05 if pref.scope == "user" else 0.0)
        chosen.append((rank, pref))
    chosen.sort(key=lambda rp: (-rp[0], rp[1].id))
    return [p for _, p in chosen[:limit]]


def record_applied(
    store: PreferenceStore, *, org_id: str, preference_ids: Sequence[str], at: datetime
) -> list[Preference]:
    """Count that these preferences were applied (call after a draft or briefing is shown).

    Returns:
        The updated preferences (unknown ids are skipped).
    """
    out = []
    for pid in dict.fromkeys(preference_ids):
        pref = store.get(org_id, pid)
        if pref is None:
            continue
        pref.applied_count += 1
        pref.last_applied_at = at
        store.save(pref)
        out.append(pref)
    return out


def applied_note(prefs: Sequence[Preference]) -> str:
    """One line naming the preferences applied, for the rep to see."""
    if not prefs:
        return "No learned preferences applied."
    return "Applied preferences: " + "; ".join(f'"{p.statement}" ({p.scope})' for p in prefs)


def prompt_lines(prefs: Sequence[Preference]) -> list[str]:
    """Preferences as short instruction lines for a drafting or briefing prompt."""
    return [f"- {p.statement}" for p in prefs]


def stop_applying(
    store: PreferenceStore,
    *,
    org_id: str,
    user_id: str,
    preference_ids: Sequence[str],
    now: datetime,
    reason: str = "removed by the rep in chat",
) -> list[Preference]:
    """Stop applying preferences to a rep: retire their own, opt them out of org ones.

    Returns:
        The preferences that will no longer be applied to the rep.
    """
    out = []
    for pid in dict.fromkeys(preference_ids):
        pref = store.get(org_id, pid)
        if pref is None or not pref.applies_to(user_id):
            continue
        if pref.scope == "user":
            done = store.retire(org_id, pid, at=now, reason=reason, by=user_id)
            if done is not None:
                out.append(done)
        else:
            pref.opted_out.append(user_id)
            store.save(pref)
            out.append(pref)
    return out
