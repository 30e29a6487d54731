"""Planted effects: their intended sizes, and win rates realised in the generated data.

Realised numbers are counted over *closed* deals using what the deals' activities
actually show (``DealTruth.observed``), i.e. what a pattern miner could find, not the
latent values alone. Counting is incremental so the streaming generator stays bounded.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evals.sim import latent, vocab
from evals.sim.truth import DealTruth, EffectTruth

INTENDED: dict[str, tuple[str, dict[str, Any]]] = {
    "champion_seniority": (
        "Executive champions win at a multiple of manager-level champions.",
        {"win_rate_ratio_exec_vs_manager": 2.5, "logit_terms": latent.CHAMPION},
    ),
    "business_case_before_third_meeting": (
        "A business case shared before the third meeting raises the win rate.",
        {
            "logit_term_early": latent.BUSINESS_CASE["early"],
            "logit_term_late": latent.BUSINESS_CASE["late"],
        },
    ),
    "stall_pattern": (
        "Single-threaded deals whose last call had no concrete next meeting and whose champion "
        "then missed a call go dark (no buyer activity for weeks), then are usually lost.",
        {
            "p_pattern_if_single_threaded_with_champion": latent.STALL_PATTERN_RATE,
            "p_dark_given_pattern": latent.DARK_GIVEN_PATTERN,
            "p_dark_background": latent.DARK_BACKGROUND,
            "logit_term_dark": latent.DARK,
        },
    ),
    "key_competitor_framing": (
        f"{vocab.KEY_COMPETITOR} is beaten only when value is framed around cost savings.",
        {"logit_term_without_cost_framing": latent.KEY_COMPETITOR_WRONG_FRAMING},
    ),
    "top_rep_multithreading": (
        "Top reps engage three or more buyer stakeholders within the first two weeks.",
        {
            "p_multithread_early_top": 0.70,
            "p_multithread_early_other": "0.20 + 0.06*skill",
            "logit_term": latent.THREADING["multi_early"],
        },
    ),
    "shocks": (
        "A champion leaving or a budget freeze collapses the deal's chances.",
        {"rate": latent.SHOCK_RATE, "logit_term": latent.SHOCK},
    ),
    "segment": ("Modest segment effect.", {"logit_terms": latent.SEGMENT}),
    "lead_source": ("Modest lead-source effect.", {"logit_terms": latent.LEAD_SOURCE}),
    "economic_buyer_engaged": (
        "Engaging the economic buyer helps.",
        {"logit_term": latent.EB_ENGAGED},
    ),
}


class EffectTally:
    """Counts (deals, wins) per effect and group over closed deals."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, list[int]]] = defaultdict(
            lambda: defaultdict(lambda: [0, 0])
        )

    def _add(self, effect: str, group: str, won: bool) -> None:
        cell = self.counts[effect][group]
        cell[0] += 1
        cell[1] += int(won)

    def add(self, deal: DealTruth) -> None:
        """Count one deal (ignored unless closed)."""
        if deal.outcome == "open":
            return
        won = deal.outcome == "won"
        obs, lat = deal.observed, deal.latent
        self._add("champion_seniority", obs["champion_seniority"], won)
        self._add("business_case_before_third_meeting", str(obs["bc_before_third_meeting"]), won)
        self._add("stall_pattern", "pattern" if lat["stall_pattern"] else "no_pattern", won)
        self._add("went_dark", str(obs["went_dark"]), won)
        if lat["stall_pattern"]:
            self._add("pattern_went_dark", str(obs["went_dark"]), won)
        comp = lat["competitor"]
        framing = "cost_savings" if lat["framing"] == "cost_savings" else "other_framing"
        if comp == vocab.KEY_COMPETITOR:
            self._add("key_competitor_framing", framing, won)
        elif comp != "none":
            self._add("other_competitor_framing", framing, won)
        rep_group = "top" if lat["top_rep"] else "other"
        multi = obs["engaged_stakeholders_14d"] >= 3
        self._add("multithread_by_rep", f"{rep_group}:{multi}", won)
        self._add("top_rep_multithreading", str(multi), won)
        self._add("rep_group", rep_group, won)
        self._add("shocks", lat["shock"] or "none", won)
        self._add("segment", deal.segment, won)
        self._add("lead_source", deal.lead_source, won)
        self._add("economic_buyer_engaged", str(obs["eb_engaged"]), won)
        for null in latent.NULL_FACTORS:
            value = obs["kickoff_weekday"] if null == "kickoff_weekday" else getattr(deal, null)
            self._add(f"null:{null}", str(value), won)

    def rates(self, effect: str) -> dict[str, dict[str, float]]:
        """``{group: {"deals": n, "win_rate": r}}`` for one effect."""
        return {
            g: {"deals": n, "win_rate": round(w / n, 4) if n else 0.0}
            for g, (n, w) in sorted(self.counts.get(effect, {}).items())
        }

    def _ratio(self, effect: str, a: str, b: str) -> float | None:
        r = self.rates(effect)
        if a in r and b in r and r[b]["win_rate"] > 0:
            return round(r[a]["win_rate"] / r[b]["win_rate"], 3)
        return None

    def effects(self) -> list[EffectTruth]:
        """Every planted effect with its intended size and realised rates."""
        realised: dict[str, dict[str, Any]] = {
            "champion_seniority": {
                "rates": self.rates("champion_seniority"),
                "ratio_exec_vs_manager": self._ratio("champion_seniority", "exec", "manager"),
            },
            "business_case_before_third_meeting": {
                "rates": self.rates("business_case_before_third_meeting"),
                "ratio": self._ratio("business_case_before_third_meeting", "True", "False"),
            },
            "stall_pattern": {
                "rates": self.rates("stall_pattern"),
                "went_dark_rates": self.rates("went_dark"),
                "pattern_deals_by_went_dark": self.rates("pattern_went_dark"),
            },
            "key_competitor_framing": {
                "rates": self.rates("key_competitor_framing"),
                "other_competitors_rates": self.rates("other_competitor_framing"),
            },
            "top_rep_multithreading": {
                "rates_by_multithreaded_14d": self.rates("top_rep_multithreading"),
                "by_rep_group_and_multithreaded": self.rates("multithread_by_rep"),
                "rep_group_rates": self.rates("rep_group"),
            },
            "shocks": {"rates": self.rates("shocks")},
            "segment": {"rates": self.rates("segment")},
            "lead_source": {"rates": self.rates("lead_source")},
            "economic_buyer_engaged": {"rates": self.rates("economic_buyer_engaged")},
        }
        out = [
            EffectTruth(key=k, description=d, intended=i, realised=realised[k])
            for k, (d, i) in INTENDED.items()
        ]
        for null in latent.NULL_FACTORS:
            rates = self.rates(f"null:{null}")
            wr = [v["win_rate"] for v in rates.values() if v["deals"] >= 20]
            out.append(
                EffectTruth(
                    key=f"null:{null}",
                    description=f"{null} has no effect on the outcome (null factor).",
                    intended={"effect": 0.0},
                    realised={
                        "rates": rates,
                        "max_min_win_rate_ratio": round(max(wr) / min(wr), 3)
                        if len(wr) >= 2 and min(wr) > 0
                        else None,
                    },
                )
            )
        return out
