"""The extraction output schema (what every extractor returns and the store keeps).

The signal fields are exactly the schema of the issue and of the simulator's truth:
``champion``, ``economic_buyer``, ``economic_buyer_engaged``, ``competitors``,
``next_meeting_scheduled``, ``business_case_shared``, ``pricing_discussed``,
``stakeholders``, ``risks``; ``evidence`` adds a short quote (verified to occur in the
activity text) for every signal that is set.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Seniority = Literal["exec", "director", "manager", "ic"]
SENIORITY_VALUES: tuple[str, ...] = ("exec", "director", "manager", "ic")

RISKS: tuple[str, ...] = (
    "security review",
    "integration concerns",
    "driver adoption",
    "timeline slip",
    "budget pressure",
    "legal review",
    "champion disengaged",
    "champion left",
    "budget freeze",
)
"""The fixed risk vocabulary."""

ROLES: tuple[str, ...] = (
    "champion",
    "economic_buyer",
    "technical_evaluator",
    "procurement",
    "finance",
    "end_user",
    "influencer",
)
"""Stakeholder roles: the two deal roles, else a functional role from the title."""

BOOLEAN_FIELDS: tuple[str, ...] = (
    "economic_buyer_engaged",
    "next_meeting_scheduled",
    "business_case_shared",
    "pricing_discussed",
)


class Champion(BaseModel):
    """The buyer-side person actively selling us internally."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str | None = None
    seniority: Seniority | None = None


class EconomicBuyer(BaseModel):
    """The person who controls the budget."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str | None = None


class Stakeholder(BaseModel):
    """A buyer-side person named by full name in the activity."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str | None = None
    role: str = "influencer"


class Evidence(BaseModel):
    """One short quote from the activity per signal that is set (``None`` = not set)."""

    champion: str | None = None
    economic_buyer: str | None = None
    economic_buyer_engaged: str | None = None
    competitors: dict[str, str] = Field(default_factory=dict)
    next_meeting_scheduled: str | None = None
    business_case_shared: str | None = None
    pricing_discussed: str | None = None
    risks: dict[str, str] = Field(default_factory=dict)


class ActivitySignals(BaseModel):
    """Signals of one activity, in the extraction schema, with evidence."""

    champion: Champion | None = None
    economic_buyer: EconomicBuyer | None = None
    economic_buyer_engaged: bool = False
    competitors: list[str] = Field(default_factory=list)
    next_meeting_scheduled: bool = False
    business_case_shared: bool = False
    pricing_discussed: bool = False
    stakeholders: list[Stakeholder] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    evidence: Evidence = Field(default_factory=Evidence)

    def payload(self) -> dict[str, Any]:
        """JSON-ready form, as stored in ``ActivitySignal.payload``."""
        return self.model_dump(mode="json")


class ExtractionResult(BaseModel):
    """Signals plus how they were obtained.

    Attributes:
        signals: The extracted signals.
        extractor: Version string of model + prompts + rules that produced them.
        cached: True if they were read from the store (no LLM call).
        llm_calls: Constrained questions asked of the model.
        seconds: Wall time of the extraction.
        chunks: How many chunks the text was split into.
        warnings: Things a user should know (suspected prompt injection, decoding, ...).
    """

    signals: ActivitySignals
    extractor: str
    cached: bool = False
    llm_calls: int = 0
    seconds: float = 0.0
    chunks: int = 1
    warnings: list[str] = Field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The CLI's JSON document: the signals, then how they were obtained."""
        return self.signals.payload() | {
            "extractor": self.extractor,
            "cached": self.cached,
            "llm_calls": self.llm_calls,
            "seconds": round(self.seconds, 3),
            "chunks": self.chunks,
            "warnings": self.warnings,
        }
