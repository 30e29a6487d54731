"""``keel bench preferences``: retrieval latency with many stored preferences.

Stores ``n`` preferences (default 100,000) in ONE org of a Qdrant local-mode collection
(the embedded default; this machine has no Qdrant server), spread over ``users`` reps plus
``org_prefs`` org preferences, with random unit vectors (the embedding model is not what is
measured; one real query embedding is timed separately when an embedder is given). Then
times ``relevant_preferences`` (the call drafting and briefing make: the rep's own and the
org's preferences, filtered, de-duplicated and ranked for a task) for random reps.

Also reported: building the store's in-process index from Qdrant (what a restart costs)
and, for reference, one plain filtered Qdrant local-mode query over the same collection
(what every read would cost without the index). Points are written to an in-memory local
client: local mode's on-disk persistence writes point by point (20k took minutes here).
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from qdrant_client import QdrantClient, models

from agent.learning.apply import relevant_preferences
from agent.learning.settings import LearningSettings
from memory.embeddings import Embedder
from memory.preference_index import PrefFilter
from memory.preference_models import KINDS, Evidence, Preference
from memory.preference_qdrant import collection_name, payload_of
from memory.preferences import PreferenceStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class _RandomEmbedder:
    """Seeded random unit vectors of the real model's size (384)."""

    def __init__(self, dim: int = 384, seed: int = 0) -> None:
        self._dim = dim
        self._rng = np.random.default_rng(seed)

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def name(self) -> str:
        return f"random-{self._dim}"

    def embed(self, texts: Any) -> npt.NDArray[np.float32]:
        out = self._rng.normal(size=(len(texts), self._dim)).astype(np.float32)
        normed: npt.NDArray[np.float32] = out / np.linalg.norm(out, axis=1, keepdims=True)
        return normed


def _pref(i: int, org: str, users: int, org_prefs: int, rng: random.Random) -> Preference:
    at = T0 + timedelta(minutes=i)
    org_level = i < org_prefs
    p = Preference(
        id=str(uuid.UUID(int=i + 1)), org_id=org, scope="org" if org_level else "user",
        user_id=None if org_level else f"u{rng.randrange(users)}", kind=rng.choice(KINDS),
        statement=f"preference number {i}", first_seen=at, last_seen=at, valid_from=at,
        valid_to=at if rng.random() < 0.05 else None,
    )  # fmt: skip
    p.add_evidence(Evidence(channel="chat", source_id=f"m{i}", quote="q", user_id=p.user_id, at=at))
    return p


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 3)


def run(
    *, n: int = 100_000, users: int = 5_000, org_prefs: int = 50, queries: int = 300,
    scan_queries: int = 3, embedder: Embedder | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run the benchmark and return ``{"metrics": {"p50_ms", "p95_ms", ...}, ...}``.

    Args:
        n: Preferences stored.
        users: Reps the user-level preferences belong to.
        org_prefs: How many of the ``n`` are org-level.
        queries: Timed retrievals.
        scan_queries: Timed plain Qdrant local-mode filtered queries (slow; 0 to skip).
        embedder: If given, also time embedding one task text with it (``embed_ms``).
    """
    org, rng, fake = "bench", random.Random(1), _RandomEmbedder()
    client = QdrantClient(":memory:")
    name = collection_name("keel_prefs", org)
    client.create_collection(
        name, vectors_config=models.VectorParams(size=fake.dim, distance=models.Distance.COSINE)
    )
    started = time.perf_counter()
    batch = 5_000
    for lo in range(0, n, batch):
        prefs = [_pref(i, org, users, org_prefs, rng) for i in range(lo, min(lo + batch, n))]
        vecs = fake.embed(prefs)
        points = [
            models.PointStruct(id=p.id, vector=v.tolist(), payload=payload_of(p, fake.name))
            for p, v in zip(prefs, vecs, strict=True)
        ]
        client.upsert(name, points, wait=True)
    ingest_s = time.perf_counter() - started
    built = time.perf_counter()
    store = PreferenceStore(client, fake, cache=True)
    stored = store.count(org, PrefFilter(include_retired=True))
    index_s = time.perf_counter() - built
    settings = LearningSettings(apply_min_strength=0.5)
    times, sizes = [], []
    for q in range(queries):
        user = f"u{rng.randrange(users)}"
        t = time.perf_counter()
        found = relevant_preferences(
            store, settings, org_id=org, user_id=user, task=f"follow-up email {q}"
        )
        times.append((time.perf_counter() - t) * 1000)
        sizes.append(len(found))
    scan = []
    for _ in range(scan_queries):
        flt = models.Filter(
            must=[models.FieldCondition(key="user_id", match=models.MatchValue(value="u1"))]
        )
        t = time.perf_counter()
        store.client.query_points(
            name, query=fake.embed(["q"])[0].tolist(), query_filter=flt, limit=10
        )
        scan.append((time.perf_counter() - t) * 1000)
    metrics: dict[str, float] = {
        "p50_ms": _pct(times, 50), "p95_ms": _pct(times, 95), "max_ms": round(max(times), 3),
        "stored_preferences": stored, "index_build_s": round(index_s, 2), "ingest_s": round(ingest_s, 1),
        "mean_returned": round(statistics.fmean(sizes), 2),
    }  # fmt: skip
    if scan:
        metrics["qdrant_local_scan_p50_ms"] = _pct(scan, 50)
    if embedder is not None:
        embedder.embed(["warm up"])
        et = []
        for _ in range(20):
            t = time.perf_counter()
            embedder.embed(["follow-up email after the pricing call"])
            et.append((time.perf_counter() - t) * 1000)
        metrics["embed_p50_ms"] = _pct(et, 50)
    return {
        "metrics": metrics,
        "config": {
            "n": n,
            "users": users,
            "org_prefs": org_prefs,
            "queries": queries,
            "qdrant": "local mode (in memory)",
            "index": "in-process per-org index",
        },
    }
