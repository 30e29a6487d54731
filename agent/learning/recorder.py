"""The one path every channel records through: contradict, merge or create, then promote.

A new observation for a rep first retires the rep's preferences it contradicts (and opts
the rep out of contradicted org preferences), then merges into an equivalent preference
of the same rep and kind (strengthening it) or creates a new one, and finally checks
whether enough reps now agree for an org-level preference.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from agent.learning.classify import classify_kind
from agent.learning.matching import Shape, contradicts, equivalent, shape, shape_of
from agent.learning.promotion import check_promotion
from agent.learning.settings import LearningSettings
from memory.preference_index import PrefFilter
from memory.preference_models import Evidence, Polarity, Preference
from memory.preferences import PreferenceStore

_NEIGHBOURS = 50


@dataclass(frozen=True)
class Candidate:
    """A preference statement a channel wants to record.

    Attributes:
        statement: Plain statement.
        polarity: ``do``, ``avoid`` or ``allow``.
        target: The wanted part ("frame it around cost savings").
        contrast: What it is set against ("speed").
        kind: Preference kind; empty means classify from the words.
    """

    statement: str
    polarity: Polarity = "do"
    target: str = ""
    contrast: str = ""
    kind: str = ""

    def resolved_kind(self) -> str:
        """The kind, classified from the words when not given."""
        return self.kind or classify_kind(self.statement, self.target)

    def shape(self) -> Shape:
        """Matching shape of the candidate."""
        return shape(
            kind=self.resolved_kind(),
            polarity=self.polarity,
            statement=self.statement,
            target=self.target,
            contrast=self.contrast,
        )


@dataclass
class Recorded:
    """What recording one observation did.

    Attributes:
        preference: The rep's preference it created or strengthened.
        action: ``created``, ``merged`` or ``unchanged`` (this source was already counted).
        retired: Preferences of the rep it contradicted (now retired).
        opted_out: Org preferences the rep is no longer given.
        promoted: The org preference created or updated because reps now agree.
    """

    preference: Preference
    action: Literal["created", "merged", "unchanged"]
    retired: list[Preference] = field(default_factory=list)
    opted_out: list[Preference] = field(default_factory=list)
    promoted: Preference | None = None


def record(
    store: PreferenceStore,
    settings: LearningSettings,
    *,
    org_id: str,
    user_id: str,
    candidate: Candidate,
    evidence: Evidence,
    promote: bool = True,
) -> Recorded:
    """Record one observation of a rep's preference.

    Args:
        store: The preference store.
        settings: Thresholds and weights.
        org_id: The rep's org (every read is confined to it).
        user_id: The rep.
        candidate: What was observed.
        evidence: Where it was observed (its weight sets how much it strengthens).
        promote: Check org promotion afterwards.
    """
    now: datetime = evidence.at
    kind = candidate.resolved_kind()
    new_shape = candidate.shape()
    vector = store.embed([candidate.statement])[0]
    mine = store.search(
        org_id, vector, PrefFilter(user_id=user_id, scope="user", kind=kind), limit=_NEIGHBOURS
    )
    retired: list[Preference] = []
    keep = []
    for hit in mine:
        old = hit.preference
        if contradicts(new_shape, shape_of(old), hit.score, settings.contradiction_similarity):
            retired.append(old)
        else:
            keep.append(hit)
    opted: list[Preference] = []
    for hit in store.search(org_id, vector, PrefFilter(scope="org", kind=kind), limit=_NEIGHBOURS):
        org_pref = hit.preference
        if user_id not in org_pref.opted_out and contradicts(
            new_shape, shape_of(org_pref), hit.score, settings.contradiction_similarity
        ):
            org_pref.opted_out.append(user_id)
            store.save(org_pref)
            opted.append(org_pref)

    match = next(
        (
            h
            for h in keep
            if equivalent(new_shape, shape_of(h.preference), h.score, settings.merge_similarity)
        ),
        None,
    )
    if match is not None:
        pref = match.preference
        changed = pref.add_evidence(evidence)
        action: Literal["created", "merged", "unchanged"] = "merged" if changed else "unchanged"
        if changed:
            store.save(pref)
    else:
        pref = Preference(
            id=str(uuid.uuid4()),
            org_id=org_id,
            scope="user",
            user_id=user_id,
            kind=kind,
            statement=candidate.statement[:300],
            polarity=candidate.polarity,
            target=candidate.target[:200],
            contrast=candidate.contrast[:200],
            first_seen=now,
            last_seen=now,
            valid_from=now,
        )
        pref.add_evidence(evidence)
        store.add(pref, vector)
        action = "created"
    reason = f'contradicted by "{candidate.statement[:120]}"'
    retired = [
        done
        for old in retired
        if (done := store.retire(org_id, old.id, at=now, reason=reason, by=pref.id)) is not None
    ]
    promoted = None
    if promote and action != "unchanged":
        promoted = check_promotion(store, settings, org_id=org_id, pref=pref, now=now)
    return Recorded(pref, action, retired=retired, opted_out=opted, promoted=promoted)
