"""What an extractor knows about the org: our names and domains, known competitors, limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.extraction.settings import ExtractionSettings


@dataclass
class ExtractionConfig:
    """What an extractor knows about the org.

    Attributes:
        sellers: Our company/product names (first = the name used in prompts).
        seller_domains: Email domains of our side.
        competitors: Known competitor names (org history plus settings).
        settings: Limits and sizes.
    """

    sellers: list[str]
    seller_domains: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    settings: ExtractionSettings = field(default_factory=ExtractionSettings)

    @classmethod
    def from_settings(
        cls,
        settings: ExtractionSettings,
        *,
        sellers: Sequence[str] = (),
        seller_domains: Sequence[str] = (),
        competitors: Sequence[str] = (),
    ) -> ExtractionConfig:
        """Settings plus what the org's store knows (its name first, its competitors)."""

        def merged(*groups: Sequence[str]) -> list[str]:
            return list(dict.fromkeys(v for group in groups for v in group if v))

        return cls(
            sellers=merged(sellers, settings.seller_names),
            seller_domains=merged(seller_domains, settings.seller_domains),
            competitors=merged(competitors, settings.competitors),
            settings=settings,
        )
