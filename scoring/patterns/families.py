"""Stall predictors, competitive dynamics and rep effectiveness (the non win/loss families)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from statistics import median
from typing import Any

from scipy.stats import norm

from scoring.patterns.findings import Finding
from scoring.patterns.records import DAY, DealRecord
from scoring.patterns.stats import compare, wilson


def stall_tests(
    records: Sequence[DealRecord], *, min_support: int, dark_days: float
) -> list[Finding]:
    """Conditions after which a deal goes dark, with their lead time.

    The unit is a buyer activity (after the deal's first two weeks, up to the last one
    before the deal went dark) of a deal whose fate is known (closed, or already dark):
    did the buyer go silent for good after it? Lead time is the median days from the
    first time the condition held in a deal that then went dark to the moment silence
    alone would flag it (last buyer activity + ``dark_days``).
    """
    done = [r for r in records if r.won is not None or r.dark_from is not None]
    conds = sorted({c for r in done for c in r.stall_matches})
    points = [(r, at, set(cs)) for r in done for at, cs in r.stall_points]
    out = []
    for cond in conds:
        hit = [(r, at) for r, at, cs in points if cond in cs]
        n_hit, n_rest = len(hit), len(points) - len(hit)
        if n_hit < min_support or n_rest < min_support:
            continue
        dark_all = sum(1 for r, at, _ in points if r.dark_from == at)
        a = sum(1 for r, at in hit if r.dark_from == at)
        c = compare(a, n_hit, dark_all - a, n_rest)
        leads = [(r.dark_from + dark_days * DAY - r.stall_matches[cond]) / DAY
                 for r, at in hit if r.dark_from == at]  # fmt: skip
        lead = round(median(leads), 1) if leads else None
        text = (f"After a buyer touch showing {cond.replace('+', ' + ')}, deals went dark "
                f"{c.rate_a:.0%} of the time (n={n_hit}) vs {c.rate_b:.0%} (n={n_rest}); "
                f"median lead time {lead} days.")  # fmt: skip
        factors = [(p, "yes") for p in cond.split("+")]
        out.append(Finding("stall", f"stall:{cond}", factors, "dark_rate", c, text,
                           extra={"median_lead_days": lead}))  # fmt: skip
    return out


def competitor_tests(
    records: Sequence[DealRecord], framings: dict[str, str | None], *, min_support: int
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Per competitor: win rate vs deals without one, and which framing wins against it."""
    closed = [r for r in records if r.won is not None and "any_competitor" in r.factors]
    none = [r for r in closed if not r.competitors]
    names = sorted({c for r in closed for c in r.competitors})
    out, summary = [], []
    for name in names:
        vs = [r for r in closed if name in r.competitors]
        won = sum(bool(r.won) for r in vs)
        lo, hi = wilson(won, len(vs))
        row: dict[str, Any] = {"competitor": name, "deals": len(vs),
                               "win_rate": round(won / len(vs), 4), "win_rate_ci95": [round(lo, 4), round(hi, 4)],
                               "framing": {}}  # fmt: skip
        summary.append(row)
        if len(vs) >= min_support and len(none) >= min_support:
            c = compare(won, len(vs), sum(bool(r.won) for r in none), len(none))
            out.append(Finding("competitor", f"competitor:{name}", [(f"competitor:{name}", "yes")], "win_rate", c,
                               f"Against {name} we win {c.rate_a:.0%} (n={c.n_a}) vs {c.rate_b:.0%} "
                               f"with no competitor (n={c.n_b})."))  # fmt: skip
        by: dict[str, list[DealRecord]] = defaultdict(list)
        for r in vs:
            fr = framings.get(r.deal_id)
            if fr:
                by[fr].append(r)
        for fr, group in sorted(by.items()):
            rest = [r for f2, g in by.items() if f2 != fr for r in g]
            gw = sum(bool(r.won) for r in group)
            row["framing"][fr] = {"deals": len(group), "win_rate": round(gw / len(group), 4)}
            if len(group) < min_support or len(rest) < min_support:
                continue
            c = compare(gw, len(group), sum(bool(r.won) for r in rest), len(rest))
            out.append(Finding("framing", f"competitor:{name} x framing={fr}",
                               [(f"competitor:{name}", "yes"), ("framing", fr)], "win_rate", c,
                               f"Against {name}, {fr.replace('_', ' ')} framing wins {c.rate_a:.0%} "
                               f"(n={c.n_a}) vs {c.rate_b:.0%} with other framings (n={c.n_b})."))  # fmt: skip
    return out, summary


def top_reps(records: Sequence[DealRecord], *, min_deals: int, share: float = 0.25) -> list[str]:
    """Reps in the top ``share`` by win rate (Wilson lower bound), among reps with enough deals."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        if r.won is not None and r.owner:
            per[r.owner][0] += 1
            per[r.owner][1] += int(bool(r.won))
    ranked = sorted((wilson(w, n)[0], rep) for rep, (n, w) in per.items() if n >= min_deals)
    if len(ranked) < 4:
        return []
    k = max(1, round(share * len(ranked)))
    return sorted(rep for _, rep in ranked[-k:])


def rep_tests(
    records: Sequence[DealRecord], top: Sequence[str], *, min_support: int
) -> list[Finding]:
    """What top reps do in a deal's first two weeks that others don't, within the same segment.

    The share of deals showing a behaviour is compared between top reps and the others with
    a Cochran-Mantel-Haenszel test stratified by segment (like with like); the reported
    rates are the crude shares, the p-value is the stratified one.
    """
    closed = [r for r in records if r.won is not None and r.owner]
    topset = set(top)
    if not topset:
        return []
    out = []
    names = sorted({b for r in closed for b in r.behaviours})
    for beh in names:
        strata: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0], [0, 0]])
        for r in closed:
            cell = strata[r.factors.get("segment", "?")][0 if r.owner in topset else 1]
            cell[0] += int(r.behaviours.get(beh, False))
            cell[1] += 1
        a = sum(s[0][0] for s in strata.values())
        na = sum(s[0][1] for s in strata.values())
        b = sum(s[1][0] for s in strata.values())
        nb = sum(s[1][1] for s in strata.values())
        if na < min_support or nb < min_support:
            continue
        c = compare(a, na, b, nb)
        p = _cmh_p(list(strata.values()))
        out.append(Finding("rep_behaviour", f"top_reps:{beh}", [("top_rep", "yes"), (beh, "yes")],
                           "behaviour_share", c,
                           f"Top reps show {beh.replace('_', ' ')} in {c.rate_a:.0%} of deals (n={na}) "
                           f"vs {c.rate_b:.0%} for other reps (n={nb}), same-segment comparison.",
                           extra={"p_interaction": p}))  # fmt: skip
    return out


def _cmh_p(strata: list[list[list[int]]]) -> float:
    num = var = 0.0
    for (a, n1), (b, n2) in strata:
        n = n1 + n2
        if n1 == 0 or n2 == 0 or n < 2:
            continue
        m1 = a + b
        num += a - n1 * m1 / n
        var += n1 * n2 * m1 * (n - m1) / (n * n * (n - 1))
    if var <= 0:
        return 1.0
    return float(2 * norm.sf(abs(num) / math.sqrt(var)))
