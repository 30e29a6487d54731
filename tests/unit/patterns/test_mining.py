"""Pattern mining on synthetic deal records whose true effects are known."""

import math
import random
from datetime import UTC, datetime

from scoring.patterns import PatternSettings, match_deal, mine_records
from scoring.patterns.records import DealRecord

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _records(n, seed=1):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        champ = rnd.choice(["exec", "manager", "none"])
        comp = rnd.random() < 0.4
        framing = rnd.choice(["cost_savings", "speed"])
        color = rnd.choice(["red", "green", "blue"])  # null factor
        logit = -1.0 + {"exec": 1.5, "manager": 0.0, "none": -1.0}[champ]
        if comp and framing != "cost_savings":
            logit -= 2.5  # interaction only
        won = rnd.random() < 1 / (1 + math.exp(-logit))
        r = DealRecord(f"d{i}", f"u{i % 8}", 0.0, won, 1.0, 1000.0)
        r.factors = {
            "champion_seniority": champ,
            "color": color,
            "any_competitor": "yes" if comp else "no",
        }
        if comp:
            r.factors["competitor:Rival"] = "yes"
            r.competitors = ("Rival",)
        r.behaviours = {"multithreaded_14d": rnd.random() < (0.7 if i % 8 < 2 else 0.2)}
        out.append((r, framing))
    return out


def test_recovers_planted_effects_and_not_the_null_factor():
    pairs = _records(3000)
    recs = [r for r, _ in pairs]
    framings = {r.deal_id: f for r, f in pairs}
    report = mine_records(recs, org_id="t", as_of=NOW, framings=framings)
    keys = {f.key for f in report.significant}
    assert "champion_seniority=exec" in keys
    assert any("competitor:Rival" in k and "framing" in k for k in keys)
    assert not any("color" in k for k in keys), keys
    exec_f = next(f for f in report.significant if f.key == "champion_seniority=exec")
    assert exec_f.stats.risk_ratio > 1.5 and exec_f.stats.rr_ci[0] > 1.0
    assert exec_f.q_value <= report.fdr_q


def test_fdr_controls_pure_noise():
    rnd = random.Random(5)
    recs = []
    for i in range(2000):
        r = DealRecord(f"d{i}", None, 0.0, rnd.random() < 0.3, 1.0, 1.0)
        r.factors = {f"noise{k}": rnd.choice("abcd") for k in range(6)}
        recs.append(r)
    report = mine_records(recs, org_id="t", as_of=NOW)
    assert report.tests > 100
    assert len(report.significant) <= 2  # expected ~0 at q=0.05


def test_minimum_support_hides_small_groups():
    recs = []
    for i in range(200):
        r = DealRecord(f"d{i}", None, 0.0, i < 10, 1.0, 1.0)
        r.factors = {"rare": "yes" if i < 10 else "no"}  # 10 deals, all won
        recs.append(r)
    report = mine_records(recs, org_id="t", as_of=NOW, settings=PatternSettings(min_support=30))
    assert report.tests == 0 and not report.significant


def test_rep_effectiveness_finds_top_rep_behaviour():
    rnd = random.Random(2)
    recs = []
    for i in range(2400):
        rep = f"u{i % 8}"
        top = i % 8 < 2
        multi = rnd.random() < (0.7 if top else 0.2)
        won = rnd.random() < (0.5 if top else 0.2)
        r = DealRecord(f"d{i}", rep, 0.0, won, 1.0, 1.0)
        r.factors = {"segment": rnd.choice(["smb", "ent"])}
        r.behaviours = {"multithreaded_14d": multi, "random_habit": rnd.random() < 0.5}
        recs.append(r)
    report = mine_records(recs, org_id="t", as_of=NOW)
    assert set(report.top_reps) == {"u0", "u1"}
    keys = {f.key for f in report.significant}
    assert "top_reps:multithreaded_14d" in keys
    assert "top_reps:random_habit" not in keys


def test_match_deal_and_version_changes_with_outcomes():
    pairs = _records(3000)
    recs = [r for r, _ in pairs]
    report = mine_records(recs, org_id="t", as_of=NOW)
    open_deal = DealRecord("x", None, 0.0, None, None, 1.0, factors={"champion_seniority": "none"})
    matched = [f.key for f in match_deal(open_deal, report)]
    assert "champion_seniority=none" in matched
    recs[0].won = not recs[0].won
    assert mine_records(recs, org_id="t", as_of=NOW).version != report.version
