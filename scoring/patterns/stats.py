"""The statistics behind every pattern: intervals, effect sizes, tests and FDR control.

Pure functions on counts (no store, no numpy arrays in the signatures) so each one can be
checked against a textbook answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import norm

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Args:
        successes: Number of successes.
        n: Number of trials (0 gives ``(0, 1)``).
        z: Normal quantile (1.96 = 95 %).

    Raises:
        ValueError: counts are negative or successes exceed n.
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"invalid counts: {successes} successes of {n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Comparison:
    """Group A (``a`` of ``n_a`` succeed) against group B, with effect sizes and a p-value."""

    a: int
    n_a: int
    b: int
    n_b: int
    rate_a: float
    rate_b: float
    difference: float
    diff_ci: tuple[float, float]
    risk_ratio: float
    rr_ci: tuple[float, float]
    p_value: float


def compare(a: int, n_a: int, b: int, n_b: int, z: float = Z95) -> Comparison:
    """Compare two proportions: risk difference and ratio with 95 % CIs, two-sided p-value.

    The p-value is the pooled two-proportion z-test; the ratio CI uses the log method with
    a 0.5 continuity correction when a cell is empty.

    Raises:
        ValueError: a group is empty or counts are inconsistent.
    """
    if n_a <= 0 or n_b <= 0:
        raise ValueError(f"both groups need deals (got {n_a} and {n_b})")
    for s, n in ((a, n_a), (b, n_b)):
        if s < 0 or s > n:
            raise ValueError(f"invalid counts: {s} successes of {n}")
    ra, rb = a / n_a, b / n_b
    diff = ra - rb
    se_d = math.sqrt(ra * (1 - ra) / n_a + rb * (1 - rb) / n_b)
    pooled = (a + b) / (n_a + n_b)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    p = 1.0 if se0 == 0 else float(2 * norm.sf(abs(diff) / se0))
    ca, cb, na, nb = float(a), float(b), float(n_a), float(n_b)
    if a == 0 or b == 0:
        ca, cb, na, nb = ca + 0.5, cb + 0.5, na + 0.5, nb + 0.5
    rr = (ca / na) / (cb / nb)
    se_l = math.sqrt(max(1 / ca - 1 / na + 1 / cb - 1 / nb, 0.0))
    lrr = math.log(rr)
    return Comparison(
        a, n_a, b, n_b, ra, rb, diff, (diff - z * se_d, diff + z * se_d),
        rr, (math.exp(lrr - z * se_l), math.exp(lrr + z * se_l)), p,
    )  # fmt: skip


def log_odds_ratio(a: int, n_a: int, b: int, n_b: int) -> tuple[float, float]:
    """Log odds ratio of A vs B and its standard error (Woolf, +0.5 on every cell)."""
    cells = (a + 0.5, n_a - a + 0.5, b + 0.5, n_b - b + 0.5)
    lor = math.log(cells[0] / cells[1]) - math.log(cells[2] / cells[3])
    return lor, math.sqrt(sum(1 / c for c in cells))


def interaction_p(inside: tuple[int, int, int, int], outside: tuple[int, int, int, int]) -> float:
    """Two-sided p-value that an effect differs between two strata (log odds ratios).

    Args:
        inside: ``(a, n_a, b, n_b)`` of the effect within the subgroup.
        outside: the same counts outside the subgroup.
    """
    l1, s1 = log_odds_ratio(*inside)
    l2, s2 = log_odds_ratio(*outside)
    return float(2 * norm.sf(abs(l1 - l2) / math.sqrt(s1 * s1 + s2 * s2)))


def benjamini_hochberg(p_values: Sequence[float], q: float = 0.05) -> list[bool]:
    """Which hypotheses are discoveries at false-discovery rate ``q`` (Benjamini-Hochberg).

    Raises:
        ValueError: ``q`` is not in (0, 1) or a p-value is outside [0, 1].
    """
    if not 0 < q < 1:
        raise ValueError(f"q must be in (0, 1), got {q}")
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cutoff = -1
    for rank, i in enumerate(order, start=1):
        p = p_values[i]
        if not 0 <= p <= 1 or math.isnan(p):
            raise ValueError(f"p-value #{i} is {p}, not in [0, 1]")
        if p <= q * rank / m:
            cutoff = rank
    keep = [False] * m
    for rank, i in enumerate(order, start=1):
        keep[i] = rank <= cutoff
    return keep


def bh_adjusted(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i], reverse=True)
    out = [1.0] * m
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p_values[i] * m / rank)
        out[i] = min(running, 1.0)
    return out
