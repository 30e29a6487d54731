"""Chat history for the Chainlit UI: threads, messages and feedback in Chainlit's data layer.

Chainlit's ``SQLAlchemyDataLayer`` expects its own five tables, which it does not create;
they are created here (SQLite under KEEL_HOME by default, the PostgreSQL database when
``KEEL_DATABASE_URL`` points at one). The thread ids it stores are also the LangGraph
thread ids, so reopening a conversation after a restart continues the same checkpoint.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from memory.settings import MemorySettings

_TABLES = {
    "users": '"id" TEXT PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE, "metadata" TEXT NOT NULL, '
    '"createdAt" TEXT',
    "threads": '"id" TEXT PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" TEXT, '
    '"userIdentifier" TEXT, "tags" TEXT, "metadata" TEXT',
    "steps": '"id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL, '
    '"threadId" TEXT NOT NULL, "parentId" TEXT, "streaming" BOOLEAN, "waitForAnswer" BOOLEAN, '
    '"isError" BOOLEAN, "metadata" TEXT, "tags" TEXT, "input" TEXT, "output" TEXT, '
    '"createdAt" TEXT, "command" TEXT, "modes" TEXT, "start" TEXT, "end" TEXT, '
    '"generation" TEXT, "showInput" TEXT, "language" TEXT, "indent" INT, '
    '"defaultOpen" BOOLEAN, "autoCollapse" BOOLEAN',
    "elements": '"id" TEXT PRIMARY KEY, "threadId" TEXT, "type" TEXT, "url" TEXT, '
    '"chainlitKey" TEXT, "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT, '
    '"page" INT, "language" TEXT, "forId" TEXT, "mime" TEXT, "props" TEXT, "autoPlay" BOOLEAN, '
    '"playerConfig" TEXT',
    "feedbacks": '"id" TEXT PRIMARY KEY, "forId" TEXT NOT NULL, "threadId" TEXT NOT NULL, '
    '"value" INT NOT NULL, "comment" TEXT',
}


def history_urls(settings: MemorySettings) -> tuple[str, str]:
    """Return (sync URL, async URL) of the chat history database."""
    url = settings.database_url or ""
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        rest = url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}", f"postgresql+psycopg://{rest}"
    path = (Path(settings.home) / "chainlit" / "history.sqlite").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}", f"sqlite+aiosqlite:///{path}"


def create_history_tables(sync_url: str) -> None:
    """Create Chainlit's data-layer tables if missing (idempotent)."""
    engine = create_engine(sync_url)
    try:
        with engine.begin() as conn:
            for name, columns in _TABLES.items():
                conn.execute(text(f'CREATE TABLE IF NOT EXISTS "{name}" ({columns})'))
    finally:
        engine.dispose()


def step_output(sync_url: str, step_id: str) -> str | None:
    """Return the text of one stored message (what a thumbs up/down was about)."""
    engine = create_engine(sync_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text('SELECT "output" FROM steps WHERE "id" = :id'), {"id": step_id}
            ).first()
    finally:
        engine.dispose()
    return str(row[0]) if row and row[0] is not None else None
