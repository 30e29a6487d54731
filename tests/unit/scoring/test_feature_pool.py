"""Open-pipeline features built in two processes equal those built in one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.engine import Engine

from memory.db import make_engine, session_scope
from scoring.events import DealRange
from scoring.feature_pool import FeaturePool, shareable_url
from scoring.features import _split_point, build_features
from scoring.settings import ScoringSettings
from tests.unit.scoring.simworld import CONFIG, sim_store

AS_OF = CONFIG.end - timedelta(days=90)
SPLIT = ScoringSettings(split_min_deals=2)


@pytest.fixture(scope="module")
def file_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = Path(tmp_path_factory.mktemp("pool")) / "keel.db"
    engine = sim_store(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def test_ranges_cover_the_org_exactly_once(file_store: Engine) -> None:
    with session_scope(file_store) as s:
        whole = build_features(s, org_id=CONFIG.org_id, as_of=AS_OF, settings=SPLIT)
        split = _split_point(s, CONFIG.org_id, SPLIT)
        assert split is not None
        lower = build_features(
            s, org_id=CONFIG.org_id, as_of=AS_OF, settings=SPLIT, span=DealRange(hi=split)
        )
        upper = build_features(
            s, org_id=CONFIG.org_id, as_of=AS_OF, settings=SPLIT, span=DealRange(lo=split)
        )
    assert lower and upper
    assert all(r.deal_id < split for r in lower) and all(r.deal_id >= split for r in upper)
    assert [repr(r) for r in lower + upper] == [repr(r) for r in whole]


def test_two_processes_give_the_same_rows(file_store: Engine) -> None:
    url = shareable_url(file_store)
    assert url is not None
    with session_scope(file_store) as s, FeaturePool(url) as pool:
        assert pool.serves(file_store)
        one = build_features(s, org_id=CONFIG.org_id, as_of=AS_OF, settings=SPLIT)
        two = build_features(s, org_id=CONFIG.org_id, as_of=AS_OF, settings=SPLIT, pool=pool)
    assert len(one) > 20
    # repr: NaN (a missing number) equals NaN, and the key order inside each row counts.
    assert [repr(r) for r in two] == [repr(r) for r in one]


def test_an_in_memory_store_is_never_split() -> None:
    engine = make_engine("sqlite://")
    assert shareable_url(engine) is None
    with FeaturePool("sqlite:///elsewhere.db") as pool:
        assert not pool.serves(engine)  # build_features then builds in this process


class _DeadPool:
    """A pool whose process has died: every job fails as ``ProcessPoolExecutor`` reports it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def serves(self, engine: Engine) -> bool:
        return engine is self.engine

    def submit(self, **_: object) -> Future[list[object]]:
        failed: Future[list[object]] = Future()
        failed.set_exception(BrokenProcessPool("the process died"))
        return failed


def test_a_dead_pool_process_falls_back_to_one_process(file_store: Engine) -> None:
    with session_scope(file_store) as s:
        one = build_features(s, org_id=CONFIG.org_id, as_of=AS_OF, settings=SPLIT)
        pool = cast(FeaturePool, _DeadPool(file_store))
        two = build_features(s, org_id=CONFIG.org_id, as_of=AS_OF, settings=SPLIT, pool=pool)
    assert [repr(r) for r in two] == [repr(r) for r in one]
