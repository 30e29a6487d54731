from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from qdrant_client import QdrantClient

from agent.learning.service import LearningService
from agent.learning.settings import LearningSettings
from memory.embeddings import HashingEmbedder
from memory.preferences import PreferenceStore
from tools.context import Viewer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture(params=[False, True], ids=["qdrant-filter", "local-index"])
def store(request: pytest.FixtureRequest) -> Iterator[PreferenceStore]:
    s = PreferenceStore(QdrantClient(":memory:"), HashingEmbedder(), cache=request.param)
    yield s
    s.close()


@pytest.fixture
def settings() -> LearningSettings:
    return LearningSettings()


@pytest.fixture
def svc(store: PreferenceStore, settings: LearningSettings) -> LearningService:
    return LearningService(store, settings, clock=Clock())


@pytest.fixture
def viewer() -> Callable[..., Viewer]:
    def make(user: str = "u1", org: str = "o1", role: str = "rep") -> Viewer:
        return Viewer(user_id=user, org_id=org, name=user.upper(), role=role)

    return make
