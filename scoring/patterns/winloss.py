"""Win/loss signals: win rate by factor level, and combinations that change an effect.

Every factor level is tested against the rest of the deals where that factor is known.
A combination is reported only when one factor's effect really differs inside the other's
level (a test of the interaction on the log-odds scale), not merely because both factors
matter on their own. Counts come from a few matrix products, so 20k deals and thousands
of pairs take well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scoring.patterns.findings import Finding
from scoring.patterns.records import DealRecord
from scoring.patterns.stats import compare, interaction_p

BINARY = frozenset({"yes", "no"})
DERIVED = {"any_competitor": "competitor:"}
"""Factors derived from others: never combined with what they summarise."""


def _levels(records: Sequence[DealRecord], skip: set[str]) -> list[tuple[str, str]]:
    seen: dict[str, set[str]] = {}
    for r in records:
        for k, v in r.factors.items():
            if k not in skip:
                seen.setdefault(k, set()).add(v)
    out = []
    for k in sorted(seen):
        vals = seen[k]
        if k.startswith("competitor:"):
            vals = vals | {"no"}  # absent = not named
        if vals <= BINARY:
            out.append((k, "yes"))
        elif len(vals) >= 2:
            out += [(k, v) for v in sorted(vals)]
    return out


def _related(f1: str, f2: str) -> bool:
    if f1 == f2:
        return True
    for a, b in ((f1, f2), (f2, f1)):
        prefix = DERIVED.get(a)
        if prefix and b.startswith(prefix):
            return True
    return False


def _known(r: DealRecord, factor: str) -> bool:
    return factor in r.factors or (
        factor.startswith("competitor:") and "any_competitor" in r.factors
    )


def win_loss_tests(
    records: Sequence[DealRecord], *, min_support: int, min_cell: int, skip: set[str]
) -> list[Finding]:
    """Single-level and combination tests on closed deals.

    Args:
        records: Deal records; only closed ones (``won`` not None) are used.
        min_support: Fewest deals in the pattern group and in the rest for a single test.
        min_cell: Fewest deals in each of the four cells of a combination test.
        skip: Factors not to test (free text, too many levels).
    """
    closed = [r for r in records if r.won is not None]
    if not closed:
        return []
    levels = _levels(closed, skip)
    factors = sorted({f for f, _ in levels})
    fidx = {f: i for i, f in enumerate(factors)}
    n, m = len(closed), len(levels)
    x = np.zeros((n, m), dtype=np.float64)
    k = np.zeros((n, len(factors)), dtype=np.float64)
    y = np.array([float(bool(r.won)) for r in closed])
    for i, r in enumerate(closed):
        for j, (f, v) in enumerate(levels):
            known = _known(r, f)
            k[i, fidx[f]] = float(known)
            x[i, j] = float(known and r.factors.get(f, "no") == v)
    lf = np.array([fidx[f] for f, _ in levels])
    xy = x * y[:, None]
    n_lvl, w_lvl = x.sum(0), xy.sum(0)
    n_fac, w_fac = k.sum(0), (k * y[:, None]).sum(0)
    out: list[Finding] = []
    for j, (f, v) in enumerate(levels):
        a, na = int(w_lvl[j]), int(n_lvl[j])
        nb, b = int(n_fac[lf[j]]) - na, int(w_fac[lf[j]]) - a
        if na < min_support or nb < min_support:
            continue
        c = compare(a, na, b, nb)
        label = f"{f}={v}"
        out.append(Finding("win_rate", label, [(f, v)], "win_rate", c,
                           f"Deals with {label} win {c.rate_a:.0%} (n={na}) vs {c.rate_b:.0%} "
                           f"(n={nb}) for the rest."))  # fmt: skip
    n11, w11 = x.T @ x, x.T @ xy  # level & level
    nkx, wkx = x.T @ k, xy.T @ k  # level & factor known
    nkk, wkk = k.T @ k, (k * y[:, None]).T @ k  # factor known & factor known
    for e in range(m):
        fe = int(lf[e])
        for c_ in range(e + 1, m):
            fc = int(lf[c_])
            if _related(factors[fe], factors[fc]):
                continue
            both, w_both = n11[e, c_], w11[e, c_]
            # inside level c_: e vs not-e (both factors known)
            n_c, w_c = nkx[c_, fe], wkx[c_, fe]
            n_e, w_e = nkx[e, fc], wkx[e, fc]
            n_all, w_all = nkk[fe, fc], wkk[fe, fc]
            cells = (both, n_c - both, n_e - both, n_all - n_c - n_e + both)
            if min(cells) < min_cell:
                continue
            inside = (int(w_both), int(both), int(w_c - w_both), int(n_c - both))
            outside = (int(w_e - w_both), int(n_e - both),
                       int(w_all - w_c - w_e + w_both), int(n_all - n_c - n_e + both))  # fmt: skip
            out.append(_combination(levels[e], levels[c_], inside, outside))
    return out


def _combination(
    e: tuple[str, str], c: tuple[str, str],
    inside: tuple[int, int, int, int], outside: tuple[int, int, int, int],
) -> Finding:  # fmt: skip
    p = interaction_p(inside, outside)
    ci, co = compare(*inside), compare(*outside)
    # Present it the way the effect is biggest: "within C, E wins x% vs y%".
    alt_in = compare(inside[0], inside[1], outside[0], outside[1])
    alt_out = compare(inside[2], inside[3], outside[2], outside[3])
    if abs(alt_in.difference) > abs(ci.difference):
        e, c, ci, co = c, e, alt_in, alt_out
    text = (f"Where {c[0]}={c[1]}, deals with {e[0]}={e[1]} win {ci.rate_a:.0%} (n={ci.n_a}) vs "
            f"{ci.rate_b:.0%} (n={ci.n_b}); elsewhere {co.rate_a:.0%} vs {co.rate_b:.0%}.")  # fmt: skip
    return Finding(
        "combination", f"{c[0]}={c[1]} x {e[0]}={e[1]}", [c, e], "win_rate", ci, text,
        extra={"p_interaction": p, "outside": {"rate_pattern": round(co.rate_a, 4),
               "rate_rest": round(co.rate_b, 4), "n_pattern": co.n_a, "n_rest": co.n_b}},
    )  # fmt: skip
