"""Org-level knowledge: when K distinct reps hold equivalent preferences, the org holds it.

An org preference keeps the supporting reps (``holders``), their preference ids
(``members``) and one piece of evidence per member. Promotion runs incrementally after a
rep's preference is created or strengthened (:func:`check_promotion`) and as a full sweep
(:func:`sweep_promotions`), which also retires promoted org preferences whose support has
fallen below K (unless a manager edited them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from agent.learning.matching import equivalent, shape_of
from agent.learning.settings import LearningSettings
from memory.preference_index import PrefFilter
from memory.preference_models import Evidence, Preference
from memory.preferences import PreferenceStore, Scored

_SCAN = 2000


def _supporters(
    store: PreferenceStore, settings: LearningSettings, org_id: str, pref: Preference
) -> list[Scored]:
    vector = store.vector(org_id, pref.id)
    if vector is None:
        return []
    base = shape_of(pref)
    hits = store.search(org_id, vector, PrefFilter(scope="user", kind=pref.kind), limit=_SCAN)
    return [
        h
        for h in hits
        if h.preference.strength >= settings.apply_min_strength
        and (
            h.preference.id == pref.id
            or equivalent(base, shape_of(h.preference), h.score, settings.promotion_similarity)
        )
    ]


def _medoid(store: PreferenceStore, org_id: str, members: list[Preference]) -> Preference:
    vecs = [store.vector(org_id, m.id) for m in members]
    if any(v is None for v in vecs) or len(members) < 3:
        return max(members, key=lambda m: (m.strength, m.times_seen, -m.first_seen.timestamp()))
    mat = np.stack([v for v in vecs if v is not None])
    central = (mat @ mat.T).sum(axis=1)
    return members[int(np.argmax(central))]


def _member_evidence(member: Preference) -> Evidence:
    return Evidence(
        channel="promotion",
        source_id=member.id,
        quote=member.statement,
        user_id=member.user_id,
        at=member.last_seen,
        weight=1.0,
    )


def check_promotion(
    store: PreferenceStore,
    settings: LearningSettings,
    *,
    org_id: str,
    pref: Preference,
    now: datetime,
) -> Preference | None:
    """Create or update the org preference ``pref`` belongs to, if enough reps agree.

    Returns:
        The created or updated org preference, or ``None``.
    """
    if pref.scope != "user" or not pref.active or pref.strength < settings.apply_min_strength:
        return None
    support = _supporters(store, settings, org_id, pref)
    members = [s.preference for s in support]
    holders = sorted({m.user_id for m in members if m.user_id})
    vector = store.vector(org_id, pref.id)
    assert vector is not None
    base = shape_of(pref)
    member_ids = {m.id for m in members}
    # An org preference already stands for this group if it is equivalent or shares a
    # supporting preference (so differently worded groups of one preference stay one).
    existing = next(
        (
            h.preference
            for h in store.search(org_id, vector, PrefFilter(scope="org", kind=pref.kind), limit=50)
            if member_ids & set(h.preference.members)
            or equivalent(base, shape_of(h.preference), h.score, settings.promotion_similarity)
        ),
        None,
    )
    if existing is not None:
        added = False
        for m in members:
            if m.id not in existing.members:
                existing.members.append(m.id)
                existing.add_evidence(_member_evidence(m))
                added = True
        if added:
            existing.holders = sorted(set(existing.holders) | set(holders))
            store.save(existing)
            return existing
        return None
    if len(holders) < settings.promotion_min_reps:
        return None
    model = _medoid(store, org_id, members)
    org_pref = Preference(
        id=str(uuid.uuid4()),
        org_id=org_id,
        scope="org",
        kind=model.kind,
        statement=model.statement,
        polarity=model.polarity,
        target=model.target,
        contrast=model.contrast,
        first_seen=min(m.first_seen for m in members),
        last_seen=now,
        valid_from=now,
        holders=holders,
        members=[m.id for m in members],
    )
    for m in members:
        org_pref.add_evidence(_member_evidence(m))
    org_pref.strength = 1.0
    store.add(org_pref, store.vector(org_id, model.id))
    return org_pref


@dataclass
class SweepReport:
    """What a full promotion sweep did."""

    promoted: list[Preference] = field(default_factory=list)
    updated: list[Preference] = field(default_factory=list)
    retired: list[Preference] = field(default_factory=list)


def sweep_promotions(
    store: PreferenceStore, settings: LearningSettings, *, org_id: str, now: datetime
) -> SweepReport:
    """Re-check every rep preference of an org for promotion and every org preference's support.

    Meant for a scheduler (nightly) or ``keel prefs promote``; the cost grows with the
    square of the number of same-kind preferences in the org.
    """
    report = SweepReport()
    before = {p.id for p in store.list(org_id, PrefFilter(scope="org"))}
    for pref in store.list(org_id, PrefFilter(scope="user")):
        got = check_promotion(store, settings, org_id=org_id, pref=pref, now=now)
        if got is None:
            continue
        target = report.updated if got.id in before else report.promoted
        if all(p.id != got.id for p in target):
            target.append(got)
    for org_pref in store.list(org_id, PrefFilter(scope="org")):
        if org_pref.edited_by or not org_pref.members:
            continue
        alive = [store.get(org_id, m) for m in org_pref.members]
        holders = {p.user_id for p in alive if p is not None and p.active and p.user_id}
        if len(holders) < settings.promotion_min_reps:
            done = store.retire(
                org_id,
                org_pref.id,
                at=now,
                reason=f"support fell to {len(holders)} rep(s), below {settings.promotion_min_reps}",
                by="promotion",
            )
            if done is not None:
                report.retired.append(done)
    return report
