"""Where conversations are checkpointed: SQLite under KEEL_HOME, or PostgreSQL at scale.

``KEEL_DATABASE_URL`` pointing at PostgreSQL puts checkpoints in the same database (LangGraph's
own tables); otherwise they live in ``<KEEL_HOME>/checkpoints.sqlite``, a file of their own so
chat writes never wait on the store's writers. Either way a conversation survives a restart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver

from memory.settings import MemorySettings

Backend = Literal["sqlite", "postgres"]


def checkpoint_target(settings: MemorySettings) -> tuple[Backend, str]:
    """Return the backend and its location (a file path, or a libpq connection URL)."""
    url = settings.database_url or ""
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        return "postgres", "postgresql://" + url.split("://", 1)[1]
    return "sqlite", str(Path(settings.home) / "checkpoints.sqlite")


@contextmanager
def open_checkpointer(settings: MemorySettings) -> Iterator[BaseCheckpointSaver[Any]]:
    """Yield a synchronous checkpointer (CLI, evaluations), closed on exit."""
    backend, where = checkpoint_target(settings)
    if backend == "postgres":
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(where) as saver:
            saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite import SqliteSaver

    Path(where).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(where, check_same_thread=False)
    try:
        sqlite_saver = SqliteSaver(conn)
        sqlite_saver.setup()
        yield sqlite_saver
    finally:
        conn.close()


@asynccontextmanager
async def open_async_checkpointer(
    settings: MemorySettings,
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Yield an asynchronous checkpointer (the chat server), closed on exit."""
    backend, where = checkpoint_target(settings)
    if backend == "postgres":
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(where) as saver:
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    Path(where).parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(where) as saver:
        await saver.setup()
        yield saver
