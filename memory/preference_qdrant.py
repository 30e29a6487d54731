"""Qdrant plumbing of the preference store: collection names, payloads, the org filter.

The only place a Qdrant filter for preferences is built (:func:`qdrant_filter`, the org
condition always first) and the only place a point becomes a :class:`Preference`
(:func:`checked`, which refuses a point of another org).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from qdrant_client import models

from memory.preference_index import PrefFilter
from memory.preference_models import Preference


class IsolationError(RuntimeError):
    """A point of another org was about to be returned (a bug; never silently ignored)."""


def collection_name(prefix: str, org_id: str) -> str:
    """Return the collection that holds ``org_id``'s preferences.

    Raises:
        ValueError: ``org_id`` is empty.
    """
    if not org_id or not org_id.strip():
        raise ValueError("org_id is required for every preference operation")
    slug = re.sub(r"[^a-z0-9]+", "_", org_id.lower()).strip("_")[:40] or "org"
    digest = hashlib.blake2b(org_id.encode(), digest_size=4).hexdigest()
    return f"{prefix}_{slug}_{digest}"


def checked(org_id: str, payload: dict[str, Any] | None) -> Preference:
    """Turn a point payload into a preference of ``org_id``, or raise ``IsolationError``."""
    if not payload or payload.get("org_id") != org_id:
        raise IsolationError(
            f"preference of org {payload.get('org_id') if payload else None!r} "
            f"read while serving org {org_id!r}"
        )
    data = {k: v for k, v in payload.items() if k not in ("active", "embedder")}
    return Preference.model_validate(data)


def copy_of(pref: Preference) -> Preference:
    """A copy callers may change without touching the index (lists copied, items shared)."""
    return pref.model_copy(
        update={
            "evidence": list(pref.evidence),
            "holders": list(pref.holders),
            "members": list(pref.members),
            "opted_out": list(pref.opted_out),
        }
    )


def payload_of(pref: Preference, embedder: str) -> dict[str, Any]:
    """The point payload of a preference (plus ``active`` and the embedder's name)."""
    data = pref.model_dump(mode="json")
    data["active"] = pref.active
    data["embedder"] = embedder
    return data


def qdrant_filter(org_id: str, flt: PrefFilter) -> models.Filter:
    """The only place a Qdrant filter is built: the org condition is always first."""
    match = models.MatchValue
    must: list[models.Condition] = [models.FieldCondition(key="org_id", match=match(value=org_id))]
    if not flt.include_retired:
        must.append(models.FieldCondition(key="active", match=match(value=True)))
    if flt.kind is not None:
        must.append(models.FieldCondition(key="kind", match=match(value=flt.kind)))
    if flt.scope is not None:
        must.append(models.FieldCondition(key="scope", match=match(value=flt.scope)))
    if flt.user_id is not None:
        must.append(models.FieldCondition(key="user_id", match=match(value=flt.user_id)))
    if flt.exclude_user_id is not None:
        must.append(
            models.Filter(
                must_not=[
                    models.FieldCondition(key="user_id", match=match(value=flt.exclude_user_id))
                ]
            )
        )
    if flt.visible_to is not None:
        must.append(
            models.Filter(
                should=[
                    models.FieldCondition(key="scope", match=match(value="org")),
                    models.FieldCondition(key="user_id", match=match(value=flt.visible_to)),
                ]
            )
        )
    return models.Filter(must=must)
