"""Typed settings of signal extraction (``KEEL_EXTRACT_*`` environment variables, ``.env``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExtractionSettings(BaseSettings):
    """How activities are turned into signals.

    Attributes:
        seller_names: Our own company and product names; they are never a competitor, and a
            speaker labelled with one of them is on the seller's side. The defaults are the
            demo org's; a real org sets its own (the store's ``Org.name`` is added at run time).
        seller_domains: Email domains of the seller's side.
        competitors: Competitor names always looked for, on top of those the org's history
            already holds (earlier signals, a ``competitor`` CRM field).
        chunk_chars: Characters of activity text per LLM chunk (long transcripts are split
            at line boundaries and the chunks' signals merged).
        max_chars: Hard limit: longer activity text is refused with a clear error instead
            of running for hours.
        max_answer_tokens: Output limit of each constrained question.
        max_options: Most evidence lines offered to the model in one question.
        max_champion_checks: Most candidate lines checked one by one for a champion.
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_EXTRACT_", env_file=".env", extra="ignore")

    seller_names: list[str] = Field(
        default_factory=lambda: ["Keelson Logistics Software", "Keelson"]
    )
    seller_domains: list[str] = Field(default_factory=lambda: ["keelson.io"])
    competitors: list[str] = Field(default_factory=list)
    chunk_chars: int = Field(default=6000, ge=500)
    max_chars: int = Field(default=120_000, ge=1000)
    max_answer_tokens: int = Field(default=160, ge=16)
    max_options: int = Field(default=60, ge=4)
    max_champion_checks: int = Field(default=6, ge=1)
