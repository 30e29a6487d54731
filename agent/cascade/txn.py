"""Write transactions that behave the same on SQLite and PostgreSQL, and retries.

Retried: the errors a busy database raises (``database is locked``, deadlocks,
serialization failures).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

T = TypeVar("T")

_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "deadlock detected",
    "could not serialize access",
    "could not obtain lock",
    "server closed the connection",
    "connection reset",
)


def is_transient(exc: BaseException) -> bool:
    """True for errors a retry of the same transaction may not hit again."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | DBAPIError):
        text = str(exc).lower()
        return any(t in text for t in _TRANSIENT)
    return False


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """Yield a session in a write transaction, committed on success.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken up
    front (waiting up to the busy timeout) instead of failing when a read transaction
    tries to upgrade after another writer committed.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        session = Session(bind=conn, expire_on_commit=False)
        try:
            yield session
            session.flush()
            conn.commit()
        except BaseException:
            session.rollback()
            conn.rollback()
            raise
        finally:
            session.close()


_ASYNC_COMMIT = select(func.set_config("synchronous_commit", "off", True))


def commit_async(session: Session) -> None:
    """On PostgreSQL, let this transaction commit without waiting for the WAL flush.

    For worker transactions whose loss only means redoing work (see
    ``CascadeSettings.async_commit``); never for a writer's events. Atomicity and commit
    order are kept: a crash loses a suffix of such transactions, each whole.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_ASYNC_COMMIT)


def retrying(fn: Callable[[], T], *, attempts: int = 6, base_s: float = 0.05) -> T:
    """Call ``fn`` again (with jittered back-off) while it fails with a transient DB error."""
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:
            if not is_transient(exc) or attempt == attempts - 1:
                raise
            time.sleep(base_s * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")
