"""The learning loop with the real embedding model and the real embedded LLM (short)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from qdrant_client import QdrantClient

from agent.chat_models import ChatModelFactory
from agent.learning.service import LearningService
from agent.learning.settings import LearningSettings
from agent.settings import AgentSettings
from memory.embeddings import SentenceTransformerEmbedder
from memory.preference_index import PrefFilter
from memory.preferences import PreferenceStore
from tools.context import Viewer

pytestmark = pytest.mark.integration
REP = Viewer(user_id="u1", org_id="o1", name="Olli", role="rep")


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def factory() -> Iterator[ChatModelFactory]:
    made = ChatModelFactory(AgentSettings(llm_max_tokens=120))
    yield made
    made.close()


def _service(embedder: SentenceTransformerEmbedder, chat: object = None) -> LearningService:
    store = PreferenceStore(QdrantClient(":memory:"), embedder, cache=True)
    return LearningService(
        store, LearningSettings(), chat_model=chat, clock=lambda: datetime.now(UTC)
    )  # type: ignore[arg-type]


def test_paraphrases_merge_and_promote_with_the_real_embedder(
    embedder: SentenceTransformerEmbedder,
) -> None:
    svc = _service(embedder)
    svc.correct(REP, "too wordy, keep it brief")
    again = svc.correct(REP, "make these emails more concise")
    assert again.status == "strengthened"
    svc.correct(Viewer(user_id="u2", org_id="o1", name="B", role="rep"), "shorter emails please")
    done = svc.correct(Viewer(user_id="u3", org_id="o1", name="C", role="rep"), "keep it short")
    assert done.promoted is not None
    assert svc.store.list("o2", PrefFilter()) == []  # another org sees nothing


def test_the_local_llm_reads_a_correction_no_rule_matches(
    embedder: SentenceTransformerEmbedder, factory: ChatModelFactory
) -> None:
    svc = _service(embedder, factory.chat_model(max_tokens=80, temperature=0.0))
    r = svc.correct(
        REP, "my buyers read these on their phones between depot visits, so the shorter the better"
    )
    assert r.status in ("learned", "strengthened") and r.preference is not None
    statement = r.preference.statement.lower()
    assert r.preference.kind == "length" or "short" in statement, (r.source, r.preference)
    fact = svc.correct(REP, "Dana moved to Northwind, she is their CFO now")
    assert fact.preference is None or fact.status == "fact_fix"
