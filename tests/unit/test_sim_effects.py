"""Planted effects show up in the generated outcomes, in the intended direction."""

from __future__ import annotations

from typing import Any

import pytest

from evals.sim import SimConfig, World, simulate
from evals.sim.effects import EffectTally
from evals.sim.vocab import KEY_COMPETITOR


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(deals=2000, seed=7))


@pytest.fixture(scope="module")
def realised(world: World) -> dict[str, dict[str, Any]]:
    return {e.key: e.realised for e in world.truth.effects}


def _rate(
    realised: dict[str, dict[str, Any]], effect: str, group: str, key: str = "rates"
) -> float:
    return float(realised[effect][key][group]["win_rate"])


def test_realised_rates_are_recounted_from_the_deals(
    world: World, realised: dict[str, Any]
) -> None:
    tally = EffectTally()
    for deal in world.truth.deals:
        tally.add(deal)
    assert {e.key: e.realised for e in tally.effects()} == realised
    closed = [d for d in world.truth.deals if d.outcome != "open"]
    exec_deals = [d for d in closed if d.observed["champion_seniority"] == "exec"]
    won = sum(d.outcome == "won" for d in exec_deals) / len(exec_deals)
    assert _rate(realised, "champion_seniority", "exec") == pytest.approx(won, abs=1e-4)


def test_executive_champions_win_far_more_than_manager_champions(realised: dict[str, Any]) -> None:
    ratio = _rate(realised, "champion_seniority", "exec") / _rate(
        realised, "champion_seniority", "manager"
    )
    assert ratio > 1.8
    assert _rate(realised, "champion_seniority", "none") < _rate(
        realised, "champion_seniority", "manager"
    )


def test_business_case_before_third_meeting_raises_win_rate(realised: dict[str, Any]) -> None:
    effect = "business_case_before_third_meeting"
    assert _rate(realised, effect, "True") > 1.3 * _rate(realised, effect, "False")


def test_stall_pattern_goes_dark_and_is_usually_lost(
    world: World, realised: dict[str, Any]
) -> None:
    pattern = realised["stall_pattern"]["pattern_deals_by_went_dark"]
    dark_share = pattern["True"]["deals"] / (pattern["True"]["deals"] + pattern["False"]["deals"])
    assert dark_share > 0.7
    assert _rate(realised, "stall_pattern", "True", "went_dark_rates") < 0.15
    assert _rate(realised, "stall_pattern", "pattern") < 0.5 * _rate(
        realised, "stall_pattern", "no_pattern"
    )
    buyer_kinds = {"call", "meeting"}
    by_deal: dict[str, list[Any]] = {}
    for act in world.activities:
        buyer = act["kind"] in buyer_kinds or act["direction"] == "inbound"
        if buyer:
            by_deal.setdefault(act["deal_id"], []).append(act["occurred_at"])
    for stall in world.truth.stalls:
        inside = [
            t
            for t in by_deal.get(stall.deal_id, [])
            if stall.dark_from < t < (stall.dark_to or world.config.end)
        ]
        assert not inside, stall.deal_source_id
        if stall.dark_to is not None:
            assert (stall.dark_to - stall.dark_from).days >= 21


def test_key_competitor_is_beaten_only_with_cost_savings_framing(
    world: World, realised: dict[str, Any]
) -> None:
    rates = realised["key_competitor_framing"]["rates"]
    assert rates["cost_savings"]["win_rate"] > 3 * rates["other_framing"]["win_rate"]
    others = realised["key_competitor_framing"]["other_competitors_rates"]
    assert others["cost_savings"]["win_rate"] < 2 * others["other_framing"]["win_rate"]
    key_deals = {d.deal_id for d in world.truth.deals if d.latent["competitor"] == KEY_COMPETITOR}
    framed = [
        world.truth.activities[a["source_id"]].framing
        for a in world.activities
        if a["deal_id"] in key_deals
    ]
    assert {"cost_savings", "speed", "features"} <= set(framed)


def test_top_reps_multithread_early_and_multithreading_pays(realised: dict[str, Any]) -> None:
    groups = realised["top_rep_multithreading"]["by_rep_group_and_multithreaded"]

    def share(rep: str) -> float:
        yes, no = groups[f"{rep}:True"]["deals"], groups[f"{rep}:False"]["deals"]
        return yes / (yes + no)

    assert share("top") > 0.5 > 0.3 > share("other")
    rates = realised["top_rep_multithreading"]["rates_by_multithreaded_14d"]
    assert rates["True"]["win_rate"] > 1.3 * rates["False"]["win_rate"]


def test_shocks_collapse_the_deal(world: World, realised: dict[str, Any]) -> None:
    rates = realised["shocks"]["rates"]
    for kind in ("champion_left", "budget_frozen"):
        assert (
            rates[kind]["deals"] > 10 and rates[kind]["win_rate"] < 0.3 * rates["none"]["win_rate"]
        )
    deals = {d.deal_id: d for d in world.truth.deals}
    for shock in world.truth.shocks:
        deal = deals[shock.deal_id]
        assert deal.latent["shock"] == shock.kind
        assert deal.win_propensity < deal.win_propensity_initial


def test_null_factors_are_declared_and_modest(world: World, realised: dict[str, Any]) -> None:
    assert world.truth.null_factors == ["product_line", "industry", "region", "kickoff_weekday"]
    for name in world.truth.null_factors:
        ratio = realised[f"null:{name}"]["max_min_win_rate_ratio"]
        assert ratio is not None and ratio < 1.6, name
    assert "product_line" not in world.truth.model["form"]


def test_modest_segment_and_lead_source_effects(realised: dict[str, Any]) -> None:
    assert _rate(realised, "segment", "smb") > _rate(realised, "segment", "enterprise")
    assert _rate(realised, "lead_source", "inbound") > _rate(realised, "lead_source", "outbound")


def test_propensity_is_the_logistic_of_the_terms(world: World) -> None:
    import math

    for deal in world.truth.deals[:200]:
        p = 1 / (1 + math.exp(-sum(deal.logit_terms.values())))
        assert deal.win_propensity == pytest.approx(p, abs=1e-5)
        assert 0.0 <= deal.win_propensity <= 1.0
