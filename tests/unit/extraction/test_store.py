from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from agent.extraction.config import ExtractionConfig
from agent.extraction.extract import Extractor
from agent.extraction.store import extract_activity, known_competitors, org_facts
from memory.db import create_schema, make_engine, session_scope
from memory.ids import content_hash
from memory.ingest import ingest
from memory.models import Activity, ActivitySignal
from tests.factories import account, activity, change, day, deal, org, user
from tests.unit.extraction.conftest import CALL
from tests.unit.extraction.fakes import Asked, fake, keyword_policy

ORG = "acme"


def never(asked: Asked) -> dict[str, str]:
    raise AssertionError("the LLM was called on a cache hit")


@pytest.fixture
def store() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    create_schema(engine)
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org(ORG)],
            users=[user(ORG, "u1", email="sam@acme-sales.test")],
            accounts=[account(ORG)],
            deals=[deal(ORG)],
            activities=[activity("D1", "ACT1", 3, body=CALL)],
        )
    yield engine
    engine.dispose()


def act_id(session_engine: Engine) -> str:
    with session_scope(session_engine) as s:
        return s.execute(select(Activity.id)).scalar_one()  # type: ignore[call-overload,no-any-return]


def test_extraction_is_stored_then_served_from_cache(
    store: Engine, config: ExtractionConfig
) -> None:
    aid = act_id(store)
    model = fake()
    with session_scope(store) as s:
        first = extract_activity(
            s, org_id=ORG, activity_id=aid, extractor=Extractor(model, config), clock=lambda: day(9)
        )
    assert not first.cached and first.llm_calls > 0
    with session_scope(store) as s:
        row = s.execute(select(ActivitySignal)).scalar_one()
        assert row.recorded_at == day(9) and row.valid_from == day(3)
        assert row.extractor == first.extractor and row.content_hash == content_hash(CALL)
        assert row.payload["champion"]["name"] == "Laura Chen"
    cached_model = fake(policy=never)
    with session_scope(store) as s:
        again = extract_activity(
            s, org_id=ORG, activity_id=aid, extractor=Extractor(cached_model, config)
        )
    assert again.cached and again.llm_calls == 0
    assert again.signals == first.signals


def test_changed_text_or_version_is_extracted_again(
    store: Engine, config: ExtractionConfig
) -> None:
    aid = act_id(store)
    with session_scope(store) as s:
        extract_activity(s, org_id=ORG, activity_id=aid, extractor=Extractor(fake(), config))
    with session_scope(store) as s:
        row = s.get(Activity, aid)
        assert row is not None
        row.body, row.content_hash = CALL + "\nMore.", content_hash(CALL + "\nMore.")
    model = fake(keyword_policy(champion=()))
    with session_scope(store) as s:
        result = extract_activity(
            s, org_id=ORG, activity_id=aid, extractor=Extractor(model, config)
        )
    assert not result.cached and model.asked
    with session_scope(store) as s:
        assert len(s.execute(select(ActivitySignal)).all()) == 2


def test_unknown_activity_or_other_org(store: Engine, config: ExtractionConfig) -> None:
    with session_scope(store) as s, pytest.raises(LookupError):
        extract_activity(
            s, org_id="other", activity_id=act_id(store), extractor=Extractor(fake(), config)
        )


def test_known_competitors_and_org_facts(store: Engine) -> None:
    aid = act_id(store)
    rows = [
        {"org_id": ORG, "activity_id": aid, "deal_id": None, "content_hash": f"h{i}",
         "extractor": "x", "payload": {"competitors": comps}, "valid_from": day(1),
         "recorded_at": day(1)}
        for i, comps in enumerate([["Fleetly", "Once"], ["Fleetly"], ["RouteSmart"], ["RouteSmart"]])
    ]  # fmt: skip
    with session_scope(store) as s:
        ingest(s, signals=rows, changes=[change("D1", "competitor", "LoadLogic", 2, org_id=ORG)])
        assert known_competitors(s, ORG) == ["Fleetly", "RouteSmart", "LoadLogic"]
        facts = org_facts(s, ORG)
    assert facts["sellers"] == ["Acme"] and facts["seller_domains"] == ["acme-sales.test"]
