"""Alert rules, change statistics and item selection on hand-made deal snapshots."""

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.briefing import render
from scoring.alert_stats import ChangeTracker, robust_scale
from scoring.alerts import ProbabilityChange, chasing_followups, detect, select_items
from scoring.events import ActivityRow
from scoring.patterns.records import DAY, DealRecord
from scoring.patterns.settings import AlertSettings

AT = datetime(2026, 3, 10, 7, tzinfo=UTC)
T = AT.timestamp()


def rec(**kw):
    base = DealRecord(
        "d1",
        "u1",
        T - 60 * DAY,
        None,
        None,
        100_000.0,
        name="Acme",
        last_buyer=T - DAY,
        close_date="2026-03-25",
    )
    return replace(base, **kw)


def test_robust_scale_ignores_one_outlier():
    assert robust_scale([0.01, -0.01, 0.0, 0.01, -0.5], floor=0.001) == pytest.approx(
        0.0148, abs=1e-3
    )
    assert robust_scale([0.1], floor=0.02) == 0.02


def test_tracker_flags_a_sudden_drop_not_gradual_drift():
    tr = ChangeTracker(floor=0.005)
    p = 0.6
    tr.update("x", p)
    for i in range(20):  # drift down 1 point a day, with noise
        p -= 0.01 + (0.004 if i % 2 else -0.004)
        change, z_own, z_pipe = tr.update("x", p)
        assert z_own > -3.5 or i < 3
    change, z_own, z_pipe = tr.update("x", p - 0.25)
    assert change == pytest.approx(-0.25) and z_own < -10 and z_pipe < -10


def test_new_champion_loss_and_competitor_are_alerted_once_new():
    prev = rec()
    cur = rec(risks=frozenset({"champion left"}), competitors=("RouteSmart",))
    kinds = {
        a.kind for a in detect(prev, cur, at=AT, prob=ProbabilityChange(0.4), stall_conditions={})
    }
    assert kinds == {"champion_lost", "competitor_entered"}
    assert detect(cur, cur, at=AT, prob=ProbabilityChange(0.4), stall_conditions={}) == []


def test_close_date_pushed_past_quarter_end():
    prev, cur = rec(close_date="2026-03-25"), rec(close_date="2026-04-15")
    alerts = detect(prev, cur, at=AT, prob=ProbabilityChange(0.4), stall_conditions={})
    assert [a.kind for a in alerts] == ["close_pushed"]
    within = detect(
        prev, rec(close_date="2026-03-30"), at=AT, prob=ProbabilityChange(0.4), stall_conditions={}
    )
    assert within == []


def test_probability_drop_needs_size_z_and_evidence():
    prev, cur = rec(), rec(risks=frozenset({"budget freeze"}))
    big = ProbabilityChange(0.2, -0.3, -12.0, -15.0)
    small = ProbabilityChange(0.45, -0.03, -12.0, -15.0)
    normal = ProbabilityChange(0.2, -0.3, -1.0, -15.0)
    kinds = lambda p, c: {a.kind for a in detect(prev, c, at=AT, prob=p, stall_conditions={})}  # noqa: E731
    assert "probability_drop" in kinds(big, cur)
    assert "probability_drop" not in kinds(small, cur)
    assert "probability_drop" not in kinds(normal, cur)
    assert "probability_drop" not in kinds(big, rec())  # unexplained model move
    loose = AlertSettings(drop_needs_evidence=False)
    assert any(
        a.kind == "probability_drop"
        for a in detect(prev, rec(), at=AT, prob=big, stall_conditions={}, settings=loose)
    )


def test_stall_risk_after_matching_touch_and_silence():
    touch = T - 15 * DAY
    cur = rec(last_buyer=touch, unanswered=2, stall_points=[(touch, ("single_threaded",))])
    alerts = detect(
        cur, cur, at=AT, prob=ProbabilityChange(0.3), stall_conditions={"single_threaded": "x"}
    )
    assert [a.kind for a in alerts] == ["stall_risk"]
    assert detect(cur, cur, at=AT, prob=ProbabilityChange(0.3), stall_conditions={}) == []
    short = replace(cur, last_buyer=T - 3 * DAY, stall_points=[(T - 3 * DAY, ("single_threaded",))])
    assert (
        detect(
            short,
            short,
            at=AT,
            prob=ProbabilityChange(0.3),
            stall_conditions={"single_threaded": "x"},
        )
        == []
    )


def test_selection_prioritises_value_suppresses_repeats_and_caps_items():
    alerts = []
    for i, amount in enumerate([10_000, 500_000, 50_000, 200_000, 1_000]):
        cur = rec(deal_id=f"d{i}", amount=float(amount), risks=frozenset({"champion left"}))
        alerts += detect(
            rec(deal_id=f"d{i}"), cur, at=AT, prob=ProbabilityChange(0.5), stall_conditions={}
        )
    items, rest = select_items(
        alerts, said={("d1", "champion_lost")}, settings=AlertSettings(max_items=3)
    )
    assert [a.deal_id for a in items] == ["d3", "d2", "d0"]
    assert rest == 1
    text = render("Maria Chen", "2026-03-10", items, not_shown=rest, open_deals=5)
    assert text.startswith("Good morning Maria: 3 things") and "Suggested:" in text
    assert render("Maria Chen", "2026-03-10", [], not_shown=0, open_deals=5).count("\n") == 0


def _email(at, direction="outbound", recorded=None):
    return ActivityRow(f"e{at}", "email", direction, (), (), at, recorded or at)


def test_recap_after_a_call_is_not_a_chasing_followup():
    call = T - 20 * DAY  # 07:00 UTC
    acts = [
        ActivityRow("c", "call", None, ("b1",), ("VP",), call, call),
        _email(call + 3600),  # same-day recap
        _email(call + 30 * 3600),  # next-day recap
        _email(call + 4 * DAY),  # chases
        _email(call + 10 * DAY),  # chases
        _email(call + 30 * DAY),  # after t: not known yet
        _email(call + 5 * DAY, recorded=T + DAY),  # recorded after t
    ]
    assert chasing_followups(acts, last_buyer=call, t=T) == 2
    # the rep's calendar decides: a call at 23:30 in Los Angeles (07:30 UTC the next day)
    late = datetime(2026, 2, 18, 7, 30, tzinfo=UTC).timestamp()
    la = ZoneInfo("America/Los_Angeles")
    acts = [_email(late + 40 * 3600)]  # 2026-02-19: the next UTC day, two LA days later
    assert chasing_followups(acts, last_buyer=late, t=T) == 0
    assert chasing_followups(acts, last_buyer=late, t=T, tz=la) == 1


def test_stall_risk_counts_chasers_not_recaps():
    touch = T - 15 * DAY
    cur = rec(last_buyer=touch, unanswered=2, stall_points=[(touch, ("single_threaded",))])
    stalls = {"single_threaded": "x"}
    prob = ProbabilityChange(0.3)
    assert detect(cur, cur, at=AT, prob=prob, stall_conditions=stalls, chasers=1) == []
    kinds = [a.kind for a in detect(cur, cur, at=AT, prob=prob, stall_conditions=stalls, chasers=2)]
    assert kinds == ["stall_risk"]


def test_drop_with_only_a_new_competitor_is_the_competitor_item():
    prev, cur = rec(), rec(competitors=("TransitPro",))
    drop = ProbabilityChange(0.2, -0.15, -8.0, -9.0)
    alerts = detect(prev, cur, at=AT, prob=drop, stall_conditions={})
    assert [a.kind for a in alerts] == ["competitor_entered"]
    assert "fell 15%" in alerts[0].context
    assert alerts[0].value_at_risk == pytest.approx(100_000 * 0.15)
    quiet = detect(prev, cur, at=AT, prob=ProbabilityChange(0.2), stall_conditions={})
    assert quiet[0].value_at_risk == pytest.approx(100_000 * 0.2 * 0.2)
    both = rec(competitors=("TransitPro",), risks=frozenset({"champion left"}))
    kinds = {a.kind for a in detect(prev, both, at=AT, prob=drop, stall_conditions={})}
    assert kinds == {"probability_drop", "champion_lost", "competitor_entered"}


def test_gone_dark_only_while_still_dark():
    dark = rec(dark_from=T - 30 * DAY, last_buyer=T - 30 * DAY, unanswered=3)
    assert [a.kind for a in detect(dark, dark, at=AT, prob=ProbabilityChange(0.3),
                                   stall_conditions={})] == ["gone_dark"]  # fmt: skip
    revived = replace(dark, last_buyer=T - 2 * DAY, unanswered=0)
    assert detect(revived, revived, at=AT, prob=ProbabilityChange(0.3), stall_conditions={}) == []
