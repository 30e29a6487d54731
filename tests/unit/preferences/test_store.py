from __future__ import annotations

import uuid
from datetime import datetime

import numpy as np
import pytest
from qdrant_client import QdrantClient

from memory.embeddings import HashingEmbedder
from memory.preference_index import PrefFilter
from memory.preference_models import Evidence, Preference
from memory.preference_qdrant import IsolationError, checked, collection_name
from memory.preferences import PreferenceStore
from tests.unit.preferences.conftest import T0


def make(org: str, statement: str, *, user: str | None = "u1", kind: str = "tone") -> Preference:
    p = Preference(
        id=str(uuid.uuid4()),
        org_id=org,
        scope="user" if user else "org",
        user_id=user,
        kind=kind,
        statement=statement,
        first_seen=T0,
        last_seen=T0,
        valid_from=T0,
    )
    p.add_evidence(Evidence(channel="chat", source_id=f"m-{statement}", quote=statement, at=T0))
    return p


def test_two_orgs_with_identical_statements_never_cross(store: PreferenceStore) -> None:
    a = store.add(make("org-a", "no exclamation marks"))
    b = store.add(make("org-b", "no exclamation marks"))
    assert [p.id for p in store.list("org-a")] == [a.id]
    assert [p.id for p in store.list("org-b")] == [b.id]
    assert [s.preference.id for s in store.search("org-a", "no exclamation marks")] == [a.id]
    assert store.get("org-a", b.id) is None and store.get("org-b", a.id) is None
    assert store.retire("org-a", b.id, at=T0, reason="x") is None
    assert store.delete("org-a", b.id) is False and store.get("org-b", b.id) is not None
    assert collection_name("keel_prefs", "org-a") != collection_name("keel_prefs", "org-b")


def test_a_foreign_point_is_an_error_not_a_result() -> None:
    payload = make("org-b", "x").model_dump(mode="json")
    with pytest.raises(IsolationError):
        checked("org-a", payload)


def test_org_id_is_required() -> None:
    with pytest.raises(ValueError):
        collection_name("keel_prefs", " ")


def test_retire_keeps_the_preference_with_its_end_time(store: PreferenceStore) -> None:
    p = store.add(make("o1", "keep it short", kind="length"))
    end = datetime(2026, 4, 1, tzinfo=T0.tzinfo)
    done = store.retire("o1", p.id, at=end, reason="contradicted", by="x")
    assert done is not None and done.valid_to == end and not done.active
    assert store.list("o1") == []
    kept = store.list("o1", PrefFilter(include_retired=True))
    assert [(q.id, q.retired_reason) for q in kept] == [(p.id, "contradicted")]


def test_filters_agree_between_qdrant_and_local_index() -> None:
    items = [
        make("o1", f"statement {i}", user=f"u{i % 3}", kind=("tone", "length")[i % 2])
        for i in range(12)
    ]
    items.append(make("o1", "org wide", user=None))
    stores = [
        PreferenceStore(QdrantClient(":memory:"), HashingEmbedder(), cache=c) for c in (False, True)
    ]
    for s in stores:
        for p in items:
            s.add(p.model_copy(deep=True))
        s.retire("o1", items[0].id, at=T0, reason="r")
    filters = [
        PrefFilter(),
        PrefFilter(user_id="u1"),
        PrefFilter(kind="length"),
        PrefFilter(scope="org"),
        PrefFilter(visible_to="u2"),
        PrefFilter(exclude_user_id="u0", scope="user"),
        PrefFilter(include_retired=True, user_id="u0"),
    ]
    for f in filters:
        got = [sorted(p.id for p in s.list("o1", f)) for s in stores]
        assert got[0] == got[1], f
        hits = [
            {h.preference.id: round(h.score, 4) for h in s.search("o1", "statement 4", f, limit=50)}
            for s in stores
        ]
        assert hits[0] == hits[1], f
        assert set(hits[0]) == set(got[0]), f


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Evidence(channel="chat", source_id="m", at=datetime(2026, 1, 1))


def test_a_source_counts_once(store: PreferenceStore) -> None:
    p = make("o1", "no buzzwords")
    again = Evidence(channel="chat", source_id="m-no buzzwords", quote="", at=T0)
    assert p.add_evidence(again) is False and p.times_seen == 1


def test_dimension_mismatch_is_a_clear_error() -> None:
    client = QdrantClient(":memory:")
    PreferenceStore(client, HashingEmbedder(64)).add(make("o1", "x"))
    with pytest.raises(ValueError, match="64-dim"):
        PreferenceStore(client, HashingEmbedder(128)).list("o1")


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    e = HashingEmbedder()
    a, b = e.embed(["keep emails short", "keep emails short"])
    assert np.allclose(a, b) and abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
    near, far = e.embed(["keep the emails short", "frame around cost savings"])
    assert float(a @ near) > float(a @ far)
