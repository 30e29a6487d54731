"""Which significant patterns an open deal carries right now (for score cards and briefings)."""

from __future__ import annotations

from scoring.patterns.findings import Finding, PatternReport
from scoring.patterns.records import DealRecord


def _holds(rec: DealRecord, factor: str, level: str) -> bool:
    if factor == "top_rep":
        return False
    if level == "yes" and factor in rec.behaviours:
        return rec.behaviours[factor]
    got = rec.factors.get(factor)
    if got is None and factor.startswith("competitor:"):
        got = "no"
    return got == level


def match_deal(rec: DealRecord, report: PatternReport) -> list[Finding]:
    """Significant patterns whose conditions the deal meets, most harmful first.

    Stall patterns match on the stall conditions seen so far; win/loss patterns on factors.
    """
    out = []
    for f in report.significant:
        if f.kind == "stall":
            if f.key.removeprefix("stall:") in rec.stall_matches and f.stats.difference > 0:
                out.append(f)
        elif f.kind in ("win_rate", "combination", "competitor", "framing") and all(
            _holds(rec, fac, lvl) for fac, lvl in f.factors
        ):
            out.append(f)
    return sorted(
        out, key=lambda f: f.stats.difference if f.kind != "stall" else -f.stats.difference
    )
