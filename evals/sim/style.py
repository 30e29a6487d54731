"""Reps' hidden writing-style preferences: the catalogue, who holds what, and how it shows.

Some preferences are held by at least three reps (truly org-level); the others by one or
two reps (individual). A rep's own outbound writing follows their preferences most of
the time, which is what a preference learner can pick up.
"""

from __future__ import annotations

from dataclasses import dataclass

from evals.sim.people import Rep, rng_for

CATALOGUE: dict[str, str] = {
    "cost_savings_framing": "frame value around cost savings, not speed",
    "short_emails": "keep emails under 120 words",
    "no_exclamation": "no exclamation marks",
    "bullet_next_steps": "use bullet points for next steps",
    "first_name_signoff": "sign off with first name only",
    "mention_map": "mention the mutual action plan",
    "customer_numbers_first": "open with the customer's own numbers",
    "no_buzzwords": "avoid buzzwords like 'game-changer' or 'synergies'",
}
ORG_LEVEL_COUNT = 2
MIN_PER_REP = 2
ADHERENCE = 0.92
"""Probability that one piece of a rep's writing follows one of their preferences."""


@dataclass(frozen=True)
class Style:
    """The preferences one rep holds (keys of :data:`CATALOGUE`)."""

    keys: frozenset[str]

    def holds(self, key: str) -> bool:
        """True if the rep holds preference ``key``."""
        return key in self.keys


def assign_preferences(seed: int, reps: list[Rep]) -> tuple[dict[str, Style], dict[str, str]]:
    """Assign preferences to reps.

    Returns:
        ``(style by rep user id, scope by preference key)`` where scope is ``"org"`` for
        preferences held by at least three reps (or by every rep in teams under three)
        and ``"individual"`` otherwise.
    """
    sellers = [r for r in reps if r.role == "rep"]
    rng = rng_for(seed, "preferences")
    keys = list(CATALOGUE)
    rng.shuffle(keys)
    org_keys, individual = keys[:ORG_LEVEL_COUNT], keys[ORG_LEVEL_COUNT:]
    held: dict[str, set[str]] = {r.user_id: set() for r in sellers}
    need = min(len(sellers), max(3, (len(sellers) + 1) // 2))
    for key in org_keys:
        for rep in rng.sample(sellers, need):
            held[rep.user_id].add(key)
    counts = dict.fromkeys(individual, 0)
    for rep in sellers:
        for _ in range(rng.choice((1, 2))):
            free = [k for k in individual if counts[k] < 2 and k not in held[rep.user_id]]
            if not free:
                break
            key = rng.choice(free)
            counts[key] += 1
            held[rep.user_id].add(key)
    for rep in sellers:
        # Everyone holds at least two preferences; top up with org-level ones.
        for key in org_keys:
            if len(held[rep.user_id]) < MIN_PER_REP:
                held[rep.user_id].add(key)
    scope = {k: "org" for k in org_keys}
    scope.update({k: "individual" for k in individual if counts[k] > 0})
    return {uid: Style(frozenset(keys_)) for uid, keys_ in held.items()}, scope
