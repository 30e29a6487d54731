"""Fixtures of the cascade tests: a small org and a worker with a pinned clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from agent.cascade.context import CascadeContext
from agent.cascade.registry import HandlerRegistry
from agent.cascade.settings import CascadeSettings
from agent.cascade.worker import Worker
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from tests.factories import account, change, day, deal, org

NOW = day(60)
ACCOUNTS = ("A1", "A2", "A3")
DEALS = {"D1": "A1", "D2": "A1", "D3": "A2", "D4": "A2", "D5": "A3", "D6": "A3"}


def seed(engine: Engine, org_id: str = "acme") -> None:
    """Org with three accounts, two deals each, with stage, amount and forecast."""
    changes: list[dict[str, Any]] = []
    stages = ["discovery", "proposal", "negotiation", "qualification", "solution", "discovery"]
    for i, (src, _) in enumerate(DEALS.items()):
        changes += [
            change(src, "stage", stages[i], 1, org_id=org_id),
            change(src, "amount", 1000.0 * (i + 1), 1, org_id=org_id),
            change(src, "forecast_category", "commit" if i % 2 else "pipeline", 1, org_id=org_id),
            change(src, "close_date", "2026-04-30", 1, org_id=org_id),
        ]
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org(org_id)],
            accounts=[account(org_id, a) for a in ACCOUNTS],
            deals=[deal(org_id, d, a) for d, a in DEALS.items()],
            changes=changes,
        )


def settings(**kw: Any) -> CascadeSettings:
    """Worker settings for tests: no back-off wait unless asked."""
    base: dict[str, Any] = {"backoff_s": 0.0, "max_attempts": 3, "lease_s": 30.0}
    return CascadeSettings(**(base | kw))


def make_ctx(engine: Engine, **kw: Any) -> CascadeContext:
    """A context with the business clock pinned to ``NOW``."""
    cfg = kw.pop("settings", None) or settings()
    return CascadeContext(engine=engine, clock=lambda: NOW, settings=cfg, **kw)


class FakeNow:
    """A wall clock the test moves by hand (leases, back-off)."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def store(sqlite_engine: Engine) -> Engine:
    seed(sqlite_engine)
    return sqlite_engine


@pytest.fixture
def worker(store: Engine) -> Callable[..., Worker]:
    def build(registry: HandlerRegistry | None = None, **kw: Any) -> Worker:
        now = kw.pop("now", None)
        owner = kw.pop("owner", None)
        extra = {"now": now} if now is not None else {}
        return Worker(make_ctx(store, **kw), registry, owner=owner, **extra)

    return build


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``KEEL_HOME`` whose SQLite store holds the seeded org (for CLI tests)."""
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.delenv("KEEL_DATABASE_URL", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'keel.db'}")
    create_schema(engine)
    seed(engine)
    engine.dispose()
    return tmp_path
