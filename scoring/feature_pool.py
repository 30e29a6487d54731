"""A second process that builds half of an org's open-pipeline features.

Reading an org's records into Python is bound by one core (the driver hands over one
column of one row at a time, under the GIL); on a 2-core machine a second *process* reads
and computes the other half of the deals at the same time. The pool is started once, by
whoever scores repeatedly (a long-running worker, the benchmark), and handed to
:func:`scoring.features.build_features`; it opens its own connection to the same database,
so it only serves stores that have a URL another process can open (a SQLite file or a
server, not an in-memory database).
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import Session

from scoring.event_reads import DealRange
from scoring.events import deal_count
from scoring.settings import ScoringSettings

if TYPE_CHECKING:
    from scoring.features import FeatureRow


def shareable_url(engine: Engine) -> URL | None:
    """The engine's URL if another process can open the same database, else ``None``."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and (url.database or ":memory:") == ":memory:":
        return None
    return url


def _features_part(
    url: str, org_id: str, as_of: datetime, settings: ScoringSettings, span: DealRange
) -> list[FeatureRow]:
    """Build the features of ``span``'s open deals in this (pool) process."""
    from memory.db import make_engine, session_scope
    from scoring.features import build_features

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return list(
                build_features(session, org_id=org_id, as_of=as_of, settings=settings, span=span)
            )
    finally:
        engine.dispose()


def _ready() -> bool:
    import scoring.features  # noqa: F401 - import the scoring stack once, at start

    return True


def pool_for(session: Session, *, org_id: str, settings: ScoringSettings) -> FeaturePool | None:
    """A started pool for scoring ``org_id``'s whole open pipeline, if splitting pays.

    ``None`` for a store another process cannot open, or an org with fewer than
    ``settings.split_min_deals`` deals (starting the process costs about a second).
    """
    url = shareable_url(session.get_bind().engine)
    if url is None or deal_count(session, org_id=org_id) < settings.split_min_deals:
        return None
    return FeaturePool(url)


class FeaturePool:
    """One spawned process that builds feature rows for a database at ``url``.

    Use as a context manager or call :meth:`close`. Spawned (not forked), so a parent
    with threads (the app, a worker) never hands a held lock to the child.
    """

    def __init__(self, url: URL | str) -> None:
        self.url = make_url(url) if isinstance(url, str) else url
        self._executor = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"))
        self._warm: Future[bool] = self._executor.submit(_ready)

    def serves(self, engine: Engine) -> bool:
        """Whether this pool's process reads the database ``engine`` is connected to."""
        return shareable_url(engine) == self.url

    def submit(
        self, *, org_id: str, as_of: datetime, settings: ScoringSettings, span: DealRange
    ) -> Future[list[FeatureRow]]:
        """Start building the features of ``span``'s open deals; the rows come back sorted."""
        url = self.url.render_as_string(hide_password=False)
        return self._executor.submit(_features_part, url, org_id, as_of, settings, span)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the process has imported the scoring stack."""
        self._warm.result(timeout)

    def close(self) -> None:
        """Stop the process."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FeaturePool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
