"""How a deal's skeleton ends: won, lost at an exit stage, stalled and dark, or shocked.

Works on day offsets only. Marks the touches that carry the planted mechanisms
(the stall pattern's last call and no-show, the shock reveal) so the beat planner can
put the right words in them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from evals.sim.latent import DealFactors
from evals.sim.plan import Touch
from evals.sim.script import exit_phase

STAGE_OF_PHASE = ("qualification", "discovery", "solution", "proposal", "negotiation")
REVIVE_IF_LOST = 0.12
REGRESSION_RATE = 0.06


@dataclass
class Fate:
    """The deal's path after fate is applied (days after creation)."""

    touches: list[tuple[int, Touch]]
    close_day: float
    outcome: str
    loss_reason: str | None = None
    pivot: Touch | None = None
    dark_from: float | None = None
    dark_to: float | None = None
    revived: bool = False
    shock_day: float | None = None
    shock_touch: Touch | None = None
    regression: bool = False
    after_shock: list[Touch] = field(default_factory=list)


def _shift(touches: list[tuple[int, Touch]], start: float) -> float:
    """Move touches so the first starts at ``start``; return the shift applied."""
    if not touches:
        return 0.0
    delta = max(0.0, start - touches[0][1].day)
    for _, t in touches:
        t.day += delta
    return delta


def _loss(rng: random.Random, f: DealFactors, phase: int, day: float) -> tuple[Touch, str]:
    if f.competitor != "none" and rng.random() < 0.6:
        return Touch("email", "loss_competitor", day, direction="inbound"), "competitor"
    if rng.random() < 0.6:
        return Touch("email", "loss_no_decision", day, direction="inbound"), "no_decision"
    return Touch("note", "loss_no_decision", day), "no_decision"


def apply_fate(
    rng: random.Random, f: DealFactors, chosen: list[tuple[int, Touch]], close_day: float
) -> Fate:
    """Turn the won-path skeleton into the deal's actual path according to its factors."""
    won = f.won
    disc_day = next(t.day for _, t in chosen if t.purpose == "discovery")
    if f.shock:
        shock_day = max(f.shock_frac * close_day, disc_day + 2.0)
        before = [(p, t) for p, t in chosen if t.day < shock_day and p < 5]
        after = [(p, t) for p, t in chosen if t.day >= shock_day]
        phase = before[-1][0] if before else 1
        kind = "email" if rng.random() < 0.65 else "call"
        reveal = Touch(kind, "shock_reveal", shock_day + rng.uniform(0.0, 4.0))
        reveal.direction = "inbound" if kind == "email" else None
        path = [*before, (phase, reveal)]
        fate = Fate(path, close_day, "won" if won else "lost", shock_day=shock_day)
        fate.shock_touch = reveal
        if won:
            rec = Touch("email", "shock_recovery", reveal.day + rng.uniform(15, 40))
            path.append((phase, rec))
            fate.close_day += _shift(after, rec.day + rng.uniform(2, 6))
            path.extend(after)
            fate.after_shock = [rec] + [t for _, t in after]
        else:
            reply = Touch("email", "shock_reply", reveal.day + rng.uniform(0.5, 3))
            end = Touch("note", "closing_shock", reveal.day + rng.uniform(7, 30))
            path += [(phase, reply), (phase, end)]
            fate.after_shock = [reply, end]
            fate.close_day, fate.loss_reason = end.day, f.shock
        return _stages(rng, fate)
    if f.dark:
        kinds = ("call", "meeting") if f.stall_pattern else ("call", "meeting", "email")
        cands = [
            i
            for i, (p, t) in enumerate(chosen)
            if 1 <= p <= 3 and t.kind in kinds and t.direction != "outbound" and t.kind != "note"
        ]
        i = rng.choice(cands)
        pivot_phase, pivot = chosen[i]
        path = chosen[: i + 1]
        rest = [(p, t) for p, t in chosen[i + 1 :]]
        gap = 0.0
        if f.stall_pattern:
            gap = rng.uniform(4, 9)
            pencil = Touch("email", "pencil_in", pivot.day + gap * rng.uniform(0.2, 0.6))
            path.append((pivot_phase, pencil))
            path.append((pivot_phase, Touch("note", "no_show", pivot.day + gap)))
        length = rng.uniform(25, 75)
        dark_to = pivot.day + gap + length
        n_follow = rng.randint(2, 3)
        offset = rng.randrange(4)  # follow-ups of one deal never repeat each other
        for k in range(n_follow):
            day = pivot.day + gap + (k + 0.5) * length / (n_follow + 0.5)
            follow = Touch("email", "dark_followup", day, direction="outbound")
            follow.order = k + offset
            path.append((pivot_phase, follow))
        revived = won or rng.random() < REVIVE_IF_LOST
        fate = Fate(path, close_day, "won" if won else "lost", pivot=pivot, dark_from=pivot.day)
        fate.dark_to, fate.revived = dark_to, revived
        if not revived:
            end = Touch("note", "closing_dark", dark_to + rng.uniform(0, 5))
            path.append((pivot_phase, end))
            fate.close_day, fate.loss_reason = end.day, "went_dark"
            return _stages(rng, fate)
        path.append((pivot_phase, Touch("email", "revival", dark_to, direction="inbound")))
        fate.close_day += _shift(rest, dark_to + rng.uniform(2, 7))
        chosen, path_prefix = rest, path
    else:
        fate = Fate([], close_day, "won" if won else "lost")
        path_prefix = []
        pivot_phase = 0
    if won:
        fate.touches = path_prefix + chosen
        return _stages(rng, fate)
    last_phase = max(exit_phase(rng), pivot_phase)
    kept = [(p, t) for p, t in chosen if p <= last_phase]
    path = path_prefix + kept
    last_day = path[-1][1].day
    loss, reason = _loss(rng, f, last_phase, last_day + rng.uniform(3, 20))
    path.append((last_phase, loss))
    fate.touches, fate.close_day, fate.loss_reason = path, loss.day, reason
    return _stages(rng, fate)


def _stages(rng: random.Random, fate: Fate) -> Fate:
    """Set ``stage_after`` on the first touch of each phase; maybe insert one regression."""
    top = -1
    touches = fate.touches
    if rng.random() < REGRESSION_RATE:
        props = [i for i, (p, t) in enumerate(touches) if p == 3 and t.kind != "note"]
        if len(props) >= 2:
            i = props[0]
            day = (touches[i][1].day + touches[i + 1][1].day) / 2
            touches.insert(i + 1, (3, Touch("note", "rescope", day)))
            fate.regression = True
    regressed = False
    for phase, touch in touches:
        touch.stage_after = None
        if touch.purpose == "rescope":
            touch.stage_after, regressed = "solution", True
        elif phase < 5 and (phase > top or (regressed and phase >= 3)):
            touch.stage_after = STAGE_OF_PHASE[phase]
            top, regressed = max(top, phase), False
    return fate
