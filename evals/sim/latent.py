"""The documented outcome model: latent factors per deal -> logistic win propensity -> outcome.

``logit(p) = INTERCEPT + sum of factor terms + health`` where ``health ~ N(0, HEALTH_SD)``
is an unobserved deal-health term (it only leaks into text as a higher rate of risk
mentions). Shocks and going dark add large negative terms when they happen. The outcome
is one Bernoulli draw from the final propensity. Every coefficient lives here and is
copied into the truth export and README.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from evals.sim import vocab
from evals.sim.people import AccountProfile, Rep
from evals.sim.style import Style

INTERCEPT = -1.8
SKILL = 0.25
CHAMPION = {"none": -1.2, "ic": -0.5, "manager": 0.0, "director": 0.9, "exec": 2.45}
THREADING = {"multi_early": 0.6, "multi": 0.2, "single": 0.0}
EB_ENGAGED = 0.5
BUSINESS_CASE = {"early": 0.8, "late": 0.2, "never": 0.0}
SEGMENT = {"smb": 0.25, "mid": 0.0, "enterprise": -0.3}
LEAD_SOURCE = {"inbound": 0.3, "partner": 0.15, "event": 0.0, "outbound": -0.25}
COMPETITOR = {
    "none": 0.2,
    "RouteSmart": 0.0,
    "Fleetly": 0.0,
    "LoadLogic": 0.0,
    "TransitPro": -0.35,
    "in-house": -0.2,
}
KEY_COMPETITOR_WRONG_FRAMING = -3.0
"""Added when the key competitor is in the deal and value is not framed around cost savings."""
HEALTH_SD = 0.6
SHOCK = -4.0
DARK = -2.5
SHOCK_RATE = 0.07
STALL_PATTERN_RATE = 0.55
"""P(stall pattern) for single-threaded deals with a champion."""
DARK_GIVEN_PATTERN = 0.85
DARK_BACKGROUND = 0.04
NULL_FACTORS = ("product_line", "industry", "region", "kickoff_weekday")
"""Observable deal attributes with no effect at all on the outcome."""

CHAMPION_WEIGHTS = {"none": 15, "ic": 12, "manager": 28, "director": 27, "exec": 18}
COMPETITOR_WEIGHTS = {
    "none": 33,
    "RouteSmart": 22,
    "Fleetly": 14,
    "LoadLogic": 10,
    "TransitPro": 13,
    "in-house": 8,
}
FRAMINGS = ("cost_savings", "speed", "features")


def sigmoid(x: float) -> float:
    """Logistic function."""
    return 1.0 / (1.0 + math.exp(-x))


@dataclass
class DealFactors:
    """Latent and observable causes of one deal's outcome, plus the outcome itself."""

    segment: str
    lead_source: str
    product_line: str
    industry: str
    region: str
    rep_skill: float
    top_rep: bool
    champion_seniority: str
    threading: str
    eb_engaged: bool
    bc_timing: str
    competitor: str
    framing: str
    health: float
    shock: str | None = None
    shock_frac: float = 0.0
    stall_pattern: bool = False
    dark: bool = False
    won: bool = False
    terms: dict[str, float] = field(default_factory=dict)
    propensity_initial: float = 0.0
    propensity: float = 0.0


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def sample_factors(
    rng: random.Random, account: AccountProfile, rep: Rep, style: Style
) -> DealFactors:
    """Draw one deal's factors; skill shapes how the rep runs the deal, not just the odds."""
    top = rep.top
    lead = rng.choices(vocab.LEAD_SOURCES, weights=(30, 35, 15, 20))[0]
    champ = _pick(rng, CHAMPION_WEIGHTS)
    if top and champ in {"none", "ic"} and rng.random() < 0.4:
        champ = "director"
    if top:
        threading = rng.choices(("multi_early", "multi", "single"), weights=(70, 22, 8))[0]
    else:
        early = min(max(0.2 + 0.06 * rep.skill, 0.05), 0.4)
        threading = rng.choices(
            ("multi_early", "multi", "single"), weights=(early, 0.45, 0.55 - early)
        )[0]
    eb_engaged = threading != "single" and rng.random() < (0.6 if top else 0.4) - (
        0.1 if account.segment == "enterprise" else 0.0
    )
    early_bc = min(max(0.22 + (0.25 if top else 0.0) + 0.05 * rep.skill, 0.05), 0.7)
    bc = rng.choices(("early", "late", "never"), weights=(early_bc, 0.35, 0.65 - early_bc))[0]
    competitor = _pick(rng, COMPETITOR_WEIGHTS)
    if style.holds("cost_savings_framing") and rng.random() < 0.85:
        framing = "cost_savings"
    else:
        framing = rng.choices(FRAMINGS, weights=(30, 35, 35))[0]
    return DealFactors(
        segment=account.segment,
        lead_source=lead,
        product_line=rng.choice(list(vocab.PRODUCT_LINES)),
        industry=account.industry,
        region=account.region,
        rep_skill=rep.skill,
        top_rep=top,
        champion_seniority=champ,
        threading=threading,
        eb_engaged=eb_engaged,
        bc_timing=bc,
        competitor=competitor,
        framing=framing,
        health=rng.gauss(0.0, HEALTH_SD),
    )


def decide_outcome(rng: random.Random, f: DealFactors) -> None:
    """Fill terms, events (shock, stall, going dark), propensities and the outcome in place."""
    terms = {
        "intercept": INTERCEPT,
        "rep_skill": SKILL * f.rep_skill,
        "champion": CHAMPION[f.champion_seniority],
        "threading": THREADING[f.threading],
        "eb_engaged": EB_ENGAGED if f.eb_engaged else 0.0,
        "business_case": BUSINESS_CASE[f.bc_timing],
        "segment": SEGMENT[f.segment],
        "lead_source": LEAD_SOURCE[f.lead_source],
        "competitor": COMPETITOR[f.competitor],
        "key_competitor_framing": (
            KEY_COMPETITOR_WRONG_FRAMING
            if f.competitor == vocab.KEY_COMPETITOR and f.framing != "cost_savings"
            else 0.0
        ),
        "health": f.health,
    }
    f.propensity_initial = sigmoid(sum(terms.values()))
    if rng.random() < SHOCK_RATE:
        champion_can_leave = f.champion_seniority != "none"
        f.shock = "champion_left" if champion_can_leave and rng.random() < 0.5 else "budget_frozen"
        f.shock_frac = rng.uniform(0.3, 0.75)
        terms["shock"] = SHOCK
    else:
        if f.threading == "single" and f.champion_seniority != "none":
            f.stall_pattern = rng.random() < STALL_PATTERN_RATE
        f.dark = rng.random() < (DARK_GIVEN_PATTERN if f.stall_pattern else DARK_BACKGROUND)
        if f.dark:
            terms["dark"] = DARK
    f.terms = {k: round(v, 6) for k, v in terms.items()}
    f.propensity = sigmoid(sum(terms.values()))
    f.won = rng.random() < f.propensity


def model_card() -> dict[str, object]:
    """Return every coefficient and rate of the outcome model (exported with the truth)."""
    return {
        "form": "p = sigmoid(intercept + sum(terms) + health), health ~ N(0, health_sd)",
        "intercept": INTERCEPT,
        "rep_skill_per_sd": SKILL,
        "champion_seniority": CHAMPION,
        "threading": THREADING,
        "eb_engaged": EB_ENGAGED,
        "business_case_timing": BUSINESS_CASE,
        "segment": SEGMENT,
        "lead_source": LEAD_SOURCE,
        "competitor": COMPETITOR,
        "key_competitor": vocab.KEY_COMPETITOR,
        "key_competitor_without_cost_savings_framing": KEY_COMPETITOR_WRONG_FRAMING,
        "health_sd": HEALTH_SD,
        "shock": SHOCK,
        "shock_rate": SHOCK_RATE,
        "dark": DARK,
        "stall_pattern_rate_single_threaded_with_champion": STALL_PATTERN_RATE,
        "dark_given_stall_pattern": DARK_GIVEN_PATTERN,
        "dark_background_rate": DARK_BACKGROUND,
        "null_factors": list(NULL_FACTORS),
    }
