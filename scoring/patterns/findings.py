"""The shape of a pattern: a tested hypothesis with its statistics, and the report of them all."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from scoring.patterns.stats import Comparison

Kind = Literal["win_rate", "combination", "stall", "competitor", "framing", "rep_behaviour"]


@dataclass
class Finding:
    """One tested hypothesis.

    Attributes:
        kind: Family of the test.
        key: Stable identifier (``champion_seniority=exec``, ``competitor:RouteSmart x framing=cost_savings``).
        factors: ``(factor, level)`` pairs the claim is about.
        measure: What the rates are (``win_rate``, ``dark_rate``, ``behaviour_share``).
        stats: Group A (the pattern) vs group B (the rest), with CIs and the raw p-value.
        q_value: Benjamini-Hochberg adjusted p-value across every test of the run.
        significant: Passed FDR control and the minimum support.
        text: One plain sentence for people.
        extra: Family-specific numbers (lead time, the other stratum, per-group details).
    """

    kind: Kind
    key: str
    factors: list[tuple[str, str]]
    measure: str
    stats: Comparison
    text: str
    q_value: float = 1.0
    significant: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def p_value(self) -> float:
        """The raw p-value used for FDR control (interaction p for combinations)."""
        return float(self.extra.get("p_interaction", self.stats.p_value))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        s = asdict(self.stats)
        return {
            "kind": self.kind,
            "key": self.key,
            "factors": [list(f) for f in self.factors],
            "measure": self.measure,
            "n_pattern": s["n_a"],
            "n_rest": s["n_b"],
            "rate_pattern": round(s["rate_a"], 4),
            "rate_rest": round(s["rate_b"], 4),
            "difference": round(s["difference"], 4),
            "difference_ci95": [round(x, 4) for x in s["diff_ci"]],
            "risk_ratio": round(s["risk_ratio"], 4),
            "risk_ratio_ci95": [round(x, 4) for x in s["rr_ci"]],
            "p_value": self.p_value,
            "q_value": self.q_value,
            "significant": self.significant,
            "text": self.text,
            **{k: v for k, v in self.extra.items() if k != "p_interaction"},
        }


@dataclass
class PatternReport:
    """Everything one mining run tested, and what survived."""

    org_id: str
    version: str
    as_of: str
    closed_deals: int
    win_rate: float
    tests: int
    fdr_q: float
    findings: list[Finding]
    competitors: list[dict[str, Any]] = field(default_factory=list)
    top_reps: list[str] = field(default_factory=list)

    @property
    def significant(self) -> list[Finding]:
        """Findings that passed FDR control and minimum support, strongest first."""
        return sorted(
            (f for f in self.findings if f.significant),
            key=lambda f: (f.q_value, -abs(f.stats.difference)),
        )

    def as_dict(self, *, all_tests: bool = False) -> dict[str, Any]:
        """JSON-ready form (only significant findings unless ``all_tests``)."""
        shown = self.findings if all_tests else self.significant
        return {
            "org_id": self.org_id,
            "version": self.version,
            "as_of": self.as_of,
            "closed_deals": self.closed_deals,
            "win_rate": round(self.win_rate, 4),
            "tests": self.tests,
            "fdr_q": self.fdr_q,
            "patterns": [f.as_dict() for f in shown],
            "competitors": self.competitors,
            "top_reps": self.top_reps,
        }
