"""Cross-deal patterns: win/loss signals, stall predictors, competitive dynamics, rep effectiveness.

Public API: :func:`mine_patterns` (from the store), :func:`mine_records` (pure),
:func:`match_deal` (which significant patterns a deal carries), :class:`PatternReport`.
"""

from scoring.patterns.findings import Finding, PatternReport
from scoring.patterns.match import match_deal
from scoring.patterns.mine import ALGORITHM_VERSION, mine_patterns, mine_records
from scoring.patterns.settings import PatternSettings

__all__ = [
    "ALGORITHM_VERSION",
    "Finding",
    "PatternReport",
    "PatternSettings",
    "match_deal",
    "mine_patterns",
    "mine_records",
]
