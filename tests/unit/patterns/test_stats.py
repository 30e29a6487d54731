import math

import pytest

from scoring.patterns.stats import (
    benjamini_hochberg,
    bh_adjusted,
    compare,
    interaction_p,
    wilson,
)


def test_wilson_matches_textbook_value():
    # 81 of 263 (Newcombe 1998 style example): 0.2553 .. 0.3662 at 95 %.
    lo, hi = wilson(81, 263)
    assert lo == pytest.approx(0.2553, abs=5e-4)
    assert hi == pytest.approx(0.3662, abs=5e-4)


def test_wilson_edges_and_bad_input():
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and 0.25 < hi < 0.35  # 0.278 for 0/10
    with pytest.raises(ValueError, match="11 successes of 10"):
        wilson(11, 10)


def test_compare_risk_ratio_difference_and_p():
    c = compare(60, 100, 30, 100)
    assert c.risk_ratio == pytest.approx(2.0)
    assert c.difference == pytest.approx(0.3)
    # pooled z = 0.3 / sqrt(.45*.55*.02) = 4.264 -> p = 2.0e-5
    assert c.p_value == pytest.approx(2.0e-5, rel=0.05)
    lo, hi = c.rr_ci
    assert lo < 2.0 < hi and lo == pytest.approx(1.43, abs=0.02)


def test_compare_no_difference_is_not_significant():
    c = compare(30, 100, 30, 100)
    assert c.p_value == pytest.approx(1.0)
    assert c.diff_ci[0] < 0 < c.diff_ci[1]


def test_compare_empty_cell_uses_correction():
    c = compare(0, 50, 10, 50)
    assert math.isfinite(c.risk_ratio) and c.risk_ratio < 0.2


def test_compare_rejects_empty_group():
    with pytest.raises(ValueError, match="both groups"):
        compare(0, 0, 1, 5)


def test_interaction_detects_effect_only_in_one_stratum():
    strong = interaction_p((32, 100, 3, 100), (30, 100, 28, 100))
    none = interaction_p((32, 100, 28, 100), (31, 100, 27, 100))
    assert strong < 1e-3  # log-OR 2.72 vs 0.10, SE 0.69
    assert none > 0.5


def test_benjamini_hochberg_known_example():
    # Classic example: with q=0.05 the first two of these are discoveries.
    p = [0.01, 0.02, 0.03, 0.04, 0.05, 0.5]
    assert benjamini_hochberg([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205], 0.05) == [
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
    ]
    # All p <= q*rank/m -> all five small ones are kept (step-up).
    assert benjamini_hochberg(p, 0.061) == [True, True, True, True, True, False]


def test_bh_adjusted_is_monotone_and_matches_decisions():
    p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]
    q = bh_adjusted(p)
    assert q[0] == pytest.approx(0.008)
    assert q[1] == pytest.approx(0.032)
    assert [x <= 0.05 for x in q] == benjamini_hochberg(p, 0.05)


def test_bh_rejects_bad_p():
    with pytest.raises(ValueError, match="not in"):
        benjamini_hochberg([0.1, 1.5])
