"""Reps' hidden writing-style preferences: who holds what, and that their writing shows it."""

from __future__ import annotations

import pytest

from evals.sim import SimConfig, World, simulate
from evals.sim.style import CATALOGUE


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(SimConfig(deals=600, seed=13))


def _outbound_by_rep(world: World) -> dict[str, list[str]]:
    emails: dict[str, list[str]] = {}
    by_email = {u["email"]: u["id"] for u in world.users}
    for act in world.activities:
        if act["kind"] == "email" and act["direction"] == "outbound":
            author = next(p for p in act["participants"] if p["side"] == "seller")
            own = act["body"].split("\nOn ", 1)[0]  # without the quoted reply
            emails.setdefault(by_email[author["email"]], []).append(own)
    return emails


def test_preferences_have_org_and_individual_scopes(world: World) -> None:
    prefs = world.truth.preferences
    assert {p.key for p in prefs} <= set(CATALOGUE)
    org = [p for p in prefs if p.scope == "org"]
    individual = [p for p in prefs if p.scope == "individual"]
    assert len(org) >= 2 and individual
    assert all(len(p.holders) >= 3 for p in org)
    assert all(1 <= len(p.holders) <= 2 for p in individual)
    reps = {r.user_id: r for r in world.truth.reps if r.role == "rep"}
    for pref in prefs:
        for holder in pref.holders:
            assert pref.key in reps[holder].preferences
    assert all(reps[r].preferences for r in reps)


def test_reps_write_the_way_they_prefer(world: World) -> None:
    emails = _outbound_by_rep(world)
    holders = {p.key: set(p.holders) for p in world.truth.preferences}
    rep_ids = [r.user_id for r in world.truth.reps if r.role == "rep"]

    def share(key: str, test: object, who: set[str]) -> float:
        texts = [t for r in who for t in emails.get(r, [])]
        return sum(bool(test(t)) for t in texts) / max(len(texts), 1)  # type: ignore[operator]

    checks = {
        "no_exclamation": lambda t: "!" in t,
        "first_name_signoff": lambda t: "Account Executive |" in t,
        "mention_map": lambda t: "mutual action plan" not in t,
        "bullet_next_steps": lambda t: "As next steps," in t,
    }
    checked = 0
    for key, violates in checks.items():
        who = holders.get(key, set())
        others = set(rep_ids) - who
        if not who or not others:
            continue
        checked += 1
        assert share(key, violates, who) < share(key, violates, others), key
    assert checked >= 1
