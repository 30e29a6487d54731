"""A small simulated org ingested into a fresh in-memory store (shared by several tests)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.engine import Engine

from evals.sim import SimConfig, World, simulate, truth_signals_rows
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from memory.scoring_store import create_scoring_tables

CONFIG = SimConfig(deals=260, months=12, seed=3, org_id="demo")


@lru_cache(maxsize=1)
def world() -> World:
    """The simulated org (generated once per test run)."""
    return simulate(CONFIG)


def sim_store(url: str = "sqlite://") -> Engine:
    """A fresh store (in memory, or at ``url``) holding the simulated org with its true signals."""
    engine = make_engine(url)
    create_schema(engine)
    create_scoring_tables(engine)
    w = world()
    with session_scope(engine) as s:
        ingest(s, **w.rows())
        ingest(s, signals=truth_signals_rows(w))
    return engine
