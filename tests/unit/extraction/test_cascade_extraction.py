from __future__ import annotations

from sqlalchemy import select

from agent.cascade.context import CascadeContext
from agent.cascade.worker import Worker
from agent.cascade_extraction import CascadeSignalExtractor, with_extraction
from agent.extraction.settings import ExtractionSettings
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from memory.models import ActivitySignal
from tests.factories import account, activity, day, deal, org
from tests.unit.extraction.conftest import CALL
from tests.unit.extraction.fakes import fake


def test_worker_extracts_each_activity_once() -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org("acme")],
            accounts=[account("acme")],
            deals=[deal("acme")],
            activities=[
                activity("D1", "ACT1", 3, body=CALL),
                activity("D1", "ACT2", 4, body="x" * 5000),  # over the limit below
            ],
        )
    model = fake()
    settings = ExtractionSettings(max_chars=4000, seller_names=["Keelson"])
    ctx = with_extraction(
        CascadeContext(engine=engine, clock=lambda: day(10)), model, settings=settings
    )
    assert isinstance(ctx.extractor, CascadeSignalExtractor)
    Worker(ctx).drain()
    with session_scope(engine) as s:
        rows = {
            r.payload.get("skipped") is None: r for r in s.execute(select(ActivitySignal)).scalars()
        }
    assert rows[True].payload["champion"]["name"] == "Laura Chen"
    assert rows[True].recorded_at == day(10) and rows[True].extractor == ctx.extractor.name
    assert "over the extraction limit" in rows[False].payload["skipped"]
    calls = len(model.asked)
    with session_scope(engine) as s:  # mark the activities dirty again: nothing to re-extract
        ingest(s, activities=[activity("D1", "ACT3", 5, body="Thanks, talk soon.", kind="note")])
    Worker(ctx).drain()
    assert len(model.asked) == calls  # the new note has no cue words: no LLM call either
    engine.dispose()
