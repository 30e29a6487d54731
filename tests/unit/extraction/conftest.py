from __future__ import annotations

import pytest

from agent.extraction.config import ExtractionConfig
from agent.extraction.document import ActivityInput
from agent.extraction.settings import ExtractionSettings

KNOWN = ["RouteSmart", "Fleetly", "LoadLogic", "TransitPro", "in-house"]


@pytest.fixture
def config() -> ExtractionConfig:
    return ExtractionConfig.from_settings(
        ExtractionSettings(), sellers=["Keelson Logistics Software", "Keelson"], competitors=KNOWN
    )


CALL = """[00:01] Tom Becker (Account Executive, Keelson): Thanks for joining, Robert.
[00:06] Robert Haines (COO, Pacific Rim Freight): The spend sits in my budget, so I'm the one who has to sign.
[00:20] Laura Chen (Director of Fleet Operations): I presented it to the leadership team and I'll keep pushing.
[00:41] Tom Becker (Account Executive, Keelson): We're at $210,000 per year for 400 vehicles.
[01:10] Robert Haines (COO, Pacific Rim Freight): Fleetly is no longer in the picture, but RouteSmart came in lower.
[02:05] Tom Becker (Account Executive, Keelson): Can we reconvene Friday 20 March at 9:00 Pacific? Would that work?
[02:12] Robert Haines (COO, Pacific Rim Freight): Friday at nine works. I'll block it now.
"""


def call(body: str = CALL) -> ActivityInput:
    return ActivityInput(body=body, kind="call", subject="Negotiation")
