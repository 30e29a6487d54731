"""Typed settings of the UI package: default org, server address, background services."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class UISettings(BaseSettings):
    """Settings for the CLI and the chat server (``KEEL_*`` variables, ``.env``).

    Attributes:
        org: Org the CLI works on when ``--org`` is not given.
        host: Address the chat server binds to.
        port: Port of the chat server.
        scheduler: Run the briefing scheduler inside the chat server (``KEEL_SCHEDULER=0``
            when a separate process schedules briefings).
        worker: Run the cascade worker inside the chat server (``KEEL_WORKER=0`` when
            ``keel worker`` processes run apart).
        worker_concurrency: Cascade workers in the chat server's process.
        briefing_hour: Local hour at which each user's morning briefing is due.
        briefing_catch_up_minutes: Period of the scheduler's catch-up pass.
        briefing_poll_s: How often the chat looks for briefings that another process
            stored for a connected user (briefings this process stores are pushed at once).
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_", env_file=".env", extra="ignore")

    org: str = "demo"
    host: str = "127.0.0.1"
    port: int = 8000
    scheduler: bool = True
    worker: bool = True
    worker_concurrency: int = Field(default=1, ge=1)
    briefing_hour: int = Field(default=7, ge=0, le=23)
    briefing_catch_up_minutes: int = Field(default=10, ge=1)
    briefing_poll_s: float = Field(default=10.0, gt=0)
