"""Typed settings of the memory package (``KEEL_*`` environment variables and ``.env``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MemorySettings(BaseSettings):
    """Where Keel keeps its data.

    Attributes:
        home: Directory for embedded defaults (SQLite file, Qdrant local mode, caches).
        database_url: SQLAlchemy URL; default is a SQLite file under ``home``.
        qdrant_url: Qdrant server URL; unset means local mode under ``home``.
        sqlite_busy_timeout_s: How long a SQLite writer waits for a lock before failing.
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".keel"))
    database_url: str | None = None
    qdrant_url: str | None = None
    sqlite_busy_timeout_s: float = 30.0

    def resolved_database_url(self) -> str:
        """Return the configured database URL, or the embedded SQLite default."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'keel.db').as_posix()}"
