"""Small builders shared by the scoring tests (signals, an engine with scoring tables)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from memory.db import create_schema, make_engine, session_scope
from memory.ids import make_id
from memory.ingest import ingest
from memory.scoring_store import create_scoring_tables
from tests.factories import account, activity, change, day, deal, org, user

EMPTY: dict[str, Any] = {
    "champion": None,
    "economic_buyer": None,
    "economic_buyer_engaged": False,
    "competitors": [],
    "next_meeting_scheduled": False,
    "business_case_shared": False,
    "pricing_discussed": False,
    "stakeholders": [],
    "risks": [],
}


def payload(**kw: Any) -> dict[str, Any]:
    """A signal payload in the extraction schema (``EMPTY`` plus overrides)."""
    return EMPTY | kw


def signal(
    act: dict[str, Any], body: dict[str, Any], *, recorded: float, extractor: str = "truth"
) -> dict[str, Any]:
    """An ActivitySignal row for an activity row, extracted on day ``recorded``."""
    return {
        "org_id": act["org_id"],
        "activity_id": act["id"],
        "deal_id": act["deal_id"],
        "content_hash": act["content_hash"],
        "extractor": extractor,
        "payload": body,
        "valid_from": act["occurred_at"],
        "recorded_at": day(recorded),
    }


def deal_id(src: str) -> str:
    """Deal id of factory deal ``src`` in org acme."""
    return make_id("deal", "acme", src)


def seed_basic(engine: Engine) -> None:
    """Org acme, a rep, one account, deal D1 open since day 0 in discovery."""
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org()],
            users=[user()],
            accounts=[account()],
            deals=[deal(src="D1")],
            changes=[
                change("D1", "stage", "discovery", 0),
                change("D1", "amount", 20000, 0),
                change("D1", "close_date", "2026-03-01", 0),
                change("D1", "owner_id", "u1", 0),
            ],
        )


def add(engine: Engine, **rows: Any) -> None:
    """Ingest more rows."""
    with session_scope(engine) as s:
        ingest(s, **rows)


@pytest.fixture
def store() -> Iterator[Engine]:
    """A fresh in-memory store with the scoring tables."""
    engine = make_engine("sqlite://")
    create_schema(engine)
    create_scoring_tables(engine)
    yield engine
    engine.dispose()


__all__ = [
    "activity",
    "add",
    "change",
    "day",
    "deal",
    "deal_id",
    "payload",
    "seed_basic",
    "signal",
    "store",
]
