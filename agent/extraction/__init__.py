"""Signal extraction: activity text (calls, emails, notes) -> structured deal signals.

Public API: :class:`Extractor`, :class:`ExtractionConfig`, :class:`ActivityInput`,
:class:`ActivitySignals`, :class:`ExtractionResult`, :class:`ExtractionInputError`,
:class:`ExtractionSettings`; persistence with the cache in :mod:`agent.extraction.store`.
"""

from agent.extraction.chunking import ExtractionInputError
from agent.extraction.config import ExtractionConfig
from agent.extraction.document import ActivityInput
from agent.extraction.extract import Extractor
from agent.extraction.schema import ActivitySignals, ExtractionResult
from agent.extraction.settings import ExtractionSettings

__all__ = [
    "ActivityInput",
    "ActivitySignals",
    "ExtractionConfig",
    "ExtractionInputError",
    "ExtractionResult",
    "ExtractionSettings",
    "Extractor",
]
