"""The preference store on Qdrant: one collection per org, every read checked against the org.

Isolation is enforced in one place: an org's preferences live in their own collection
(named from the org id), every Qdrant query also carries an ``org_id`` filter, and every
point read back is checked to belong to the org asked for (``preference_qdrant.checked``),
so no code path can return another org's preferences.

Qdrant local mode (the embedded default, under ``<KEEL_HOME>/qdrant``) scans every point in
Python on a filtered query (seconds at 100k points), and only one process may open it. So in
local mode the store keeps an in-process index of each org's points, loaded once and
updated write-through by this store (it is the only writer: local mode locks its folder);
with a Qdrant server (``KEEL_QDRANT_URL``) every read is a filtered query against payload
indexes and nothing is cached.
"""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from qdrant_client import QdrantClient, models

from memory.embeddings import Embedder
from memory.preference_index import OrgIndex, PrefFilter
from memory.preference_models import Preference
from memory.preference_qdrant import (
    IsolationError,
    checked,
    collection_name,
    copy_of,
    payload_of,
    qdrant_filter,
)
from memory.settings import MemorySettings

__all__ = ["IsolationError", "PreferenceStore", "PrefFilter", "Scored", "open_preference_store"]

_PAGE = 4096


@dataclass(frozen=True)
class Scored:
    """A preference with its cosine similarity to a query."""

    preference: Preference
    score: float


class PreferenceStore:
    """CRUD and similarity search over preferences, one Qdrant collection per org.

    Args:
        client: A Qdrant client (local path, server URL, or ``":memory:"`` in tests).
        embedder: Embeds statements; its dimension fixes the collections' vector size.
        prefix: Collection name prefix.
        cache: Keep an in-process index per org (local mode: this store is the only writer).
    """

    def __init__(
        self,
        client: QdrantClient,
        embedder: Embedder,
        *,
        prefix: str = "keel_prefs",
        cache: bool = False,
    ) -> None:
        self.client = client
        self.embedder = embedder
        self.prefix = prefix
        self.cache = cache
        self._index: dict[str, OrgIndex] = {}
        self._ready: set[str] = set()

    # --- collections ---------------------------------------------------------------------
    def _collection(self, org_id: str, *, create: bool = False) -> str | None:
        name = collection_name(self.prefix, org_id)
        if name in self._ready:
            return name
        if self.client.collection_exists(name):
            size = self.client.get_collection(name).config.params.vectors
            dim = getattr(size, "size", None)
            if dim is not None and dim != self.embedder.dim:
                raise ValueError(
                    f"collection {name} holds {dim}-dim vectors but the embedder "
                    f"{self.embedder.name} makes {self.embedder.dim}: re-embed or use another prefix"
                )
            self._ready.add(name)
            return name
        if not create:
            return None
        self.client.create_collection(
            name,
            vectors_config=models.VectorParams(
                size=self.embedder.dim, distance=models.Distance.COSINE
            ),
        )
        if not self.cache:
            with warnings.catch_warnings():  # local mode ignores payload indexes (and says so)
                warnings.simplefilter("ignore", UserWarning)
                for field in ("org_id", "user_id", "scope", "kind"):
                    self.client.create_payload_index(name, field, models.PayloadSchemaType.KEYWORD)
                self.client.create_payload_index(name, "active", models.PayloadSchemaType.BOOL)
        self._ready.add(name)
        return name

    def _org_index(self, org_id: str) -> OrgIndex:
        index = self._index.get(org_id)
        if index is not None:
            return index
        index = OrgIndex(self.embedder.dim)
        name = self._collection(org_id)
        if name is not None:
            offset: Any = None
            while True:
                points, offset = self.client.scroll(
                    name, limit=_PAGE, offset=offset, with_payload=True, with_vectors=True
                )
                for p in points:
                    vec = np.asarray(p.vector, dtype=np.float32)
                    index.put(checked(org_id, p.payload), vec)
                if offset is None:
                    break
        self._index[org_id] = index
        return index

    # --- writes --------------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts with the store's embedder."""
        return self.embedder.embed(texts)

    def add(self, pref: Preference, vector: npt.NDArray[np.float32] | None = None) -> Preference:
        """Store a new preference (its statement is embedded unless ``vector`` is given)."""
        return self._write(pref, vector if vector is not None else self.embed([pref.statement])[0])

    def save(self, pref: Preference, *, reembed: bool = False) -> Preference:
        """Update a stored preference; ``reembed`` after its statement changed."""
        vector = self.embed([pref.statement])[0] if reembed else self.vector(pref.org_id, pref.id)
        if vector is None:
            vector = self.embed([pref.statement])[0]
        return self._write(pref, vector)

    def _write(self, pref: Preference, vector: npt.NDArray[np.float32]) -> Preference:
        name = self._collection(pref.org_id, create=True)
        assert name is not None
        point = models.PointStruct(
            id=pref.id, vector=vector.tolist(), payload=payload_of(pref, self.embedder.name)
        )
        self.client.upsert(name, [point], wait=True)
        if self.cache:
            self._org_index(pref.org_id).put(pref.model_copy(deep=True), vector)
        return pref

    def retire(
        self, org_id: str, pref_id: str, *, at: datetime, reason: str, by: str | None = None
    ) -> Preference | None:
        """Mark a preference as no longer holding from ``at`` (kept, never deleted).

        Returns:
            The retired preference, or ``None`` if the org has no such preference.
        """
        pref = self.get(org_id, pref_id)
        if pref is None:
            return None
        if pref.active:
            pref.valid_to = at
            pref.retired_reason = reason
            pref.retired_by = by
            self.save(pref)
        return pref

    def delete(self, org_id: str, pref_id: str) -> bool:
        """Remove a preference for good (an explicit request; contradictions retire instead)."""
        if self.get(org_id, pref_id) is None:
            return False
        name = self._collection(org_id)
        assert name is not None
        self.client.delete(name, points_selector=models.PointIdsList(points=[pref_id]), wait=True)
        if self.cache:
            self._org_index(org_id).remove(pref_id)
        return True

    # --- reads ---------------------------------------------------------------------------
    def get(self, org_id: str, pref_id: str) -> Preference | None:
        """Return one preference of ``org_id`` (``None`` if unknown or another org's)."""
        if self.cache:
            found = self._org_index(org_id).get(pref_id)
            return copy_of(found) if found else None
        name = self._collection(org_id)
        if name is None:
            return None
        try:
            points = self.client.retrieve(name, ids=[pref_id], with_payload=True)
        except (ValueError, Exception):  # malformed ids are "not found", not a crash
            return None
        return checked(org_id, points[0].payload) if points else None

    def vector(self, org_id: str, pref_id: str) -> npt.NDArray[np.float32] | None:
        """Return the stored vector of a preference."""
        if self.cache:
            return self._org_index(org_id).vector(pref_id)
        name = self._collection(org_id)
        if name is None:
            return None
        points = self.client.retrieve(name, ids=[pref_id], with_payload=True, with_vectors=True)
        if not points:
            return None
        checked(org_id, points[0].payload)
        return np.asarray(points[0].vector, dtype=np.float32)

    def list(self, org_id: str, flt: PrefFilter | None = None) -> builtins.list[Preference]:
        """Return the org's preferences matching ``flt``, most recently seen first."""
        flt = flt or PrefFilter()
        if self.cache:
            found = [copy_of(p) for p in self._org_index(org_id).select(flt)]
        else:
            found = list(self._scroll(org_id, flt))
        return sorted(found, key=lambda p: (p.last_seen, p.id), reverse=True)

    def _scroll(self, org_id: str, flt: PrefFilter) -> Iterable[Preference]:
        name = self._collection(org_id)
        if name is None:
            return
        offset: Any = None
        while True:
            points, offset = self.client.scroll(
                name, scroll_filter=qdrant_filter(org_id, flt), limit=_PAGE, offset=offset
            )
            for p in points:
                yield checked(org_id, p.payload)
            if offset is None:
                return

    def search(
        self,
        org_id: str,
        query: str | npt.NDArray[np.float32],
        flt: PrefFilter | None = None,
        *,
        limit: int = 10,
        min_score: float | None = None,
    ) -> builtins.list[Scored]:
        """Return the org's preferences most similar to ``query`` (text or vector)."""
        flt = flt or PrefFilter()
        vec = self.embed([query])[0] if isinstance(query, str) else query
        if self.cache:
            hits = self._org_index(org_id).search(vec, flt, limit=limit)
            out = [Scored(copy_of(p), s) for p, s in hits]
        else:
            name = self._collection(org_id)
            if name is None:
                return []
            res = self.client.query_points(
                name,
                query=vec.tolist(),
                query_filter=qdrant_filter(org_id, flt),
                limit=limit,
                with_payload=True,
            )
            out = [Scored(checked(org_id, p.payload), float(p.score)) for p in res.points]
        if min_score is not None:
            out = [s for s in out if s.score >= min_score]
        return out

    def count(self, org_id: str, flt: PrefFilter | None = None) -> int:
        """Number of the org's preferences matching ``flt``."""
        flt = flt or PrefFilter()
        if self.cache:
            return len(self._org_index(org_id).select(flt))
        name = self._collection(org_id)
        if name is None:
            return 0
        return int(self.client.count(name, count_filter=qdrant_filter(org_id, flt)).count)

    def close(self) -> None:
        """Close the Qdrant client (releases local mode's folder lock)."""
        self.client.close()


def open_preference_store(
    embedder: Embedder, settings: MemorySettings | None = None, *, prefix: str = "keel_prefs"
) -> PreferenceStore:
    """Open the configured store: a Qdrant server if ``KEEL_QDRANT_URL`` is set, else local mode.

    Local mode keeps its files under ``<KEEL_HOME>/qdrant`` and caches each org in process.
    """
    settings = settings or MemorySettings()
    if settings.qdrant_url:
        return PreferenceStore(QdrantClient(url=settings.qdrant_url), embedder, prefix=prefix)
    path = settings.home / "qdrant"
    path.mkdir(parents=True, exist_ok=True)
    return PreferenceStore(QdrantClient(path=str(path)), embedder, prefix=prefix, cache=True)
