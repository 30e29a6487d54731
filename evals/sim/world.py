"""The simulated world as ingestable rows plus truth: streamed in batches, or all at once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from evals.sim import latent, vocab
from evals.sim.config import SimConfig
from evals.sim.deal import Team, build_deal
from evals.sim.effects import EffectTally
from evals.sim.people import (
    Actor,
    account_rows,
    build_account,
    build_org,
    build_team,
    rng_for,
    user_rows,
)
from evals.sim.style import CATALOGUE, assign_preferences
from evals.sim.truth import PreferenceTruth, RepTruth, SimTruth

ROW_KINDS = ("orgs", "users", "accounts", "people", "deals", "changes", "activities")


@dataclass
class WorldBatch:
    """A slice of the world, ready for ``memory.ingest.ingest(session, **batch.rows())``.

    The first batch carries the org and users; accounts and people arrive in the batch
    of the first deal that needs them; deals come with their field changes and
    activities. ``truth`` holds this batch's deals and activities; the last batch also
    carries the realised effect sizes over the whole world.
    """

    index: int
    truth: SimTruth
    orgs: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        """Keyword arguments for ``memory.ingest.ingest``."""
        return {k: getattr(self, k) for k in ROW_KINDS}


@dataclass
class World(WorldBatch):
    """A whole simulated world (every batch merged)."""

    config: SimConfig = field(default_factory=SimConfig)

    @property
    def org_id(self) -> str:
        """The org's id (``Org.id`` and every row's ``org_id``)."""
        return self.config.org_id


def _team(config: SimConfig) -> tuple[Team, SimTruth]:
    people = build_team(config)
    styles, scope = assign_preferences(config.seed, people)
    managers = {p.user_id: p for p in people if p.role == "manager"}
    engineers: dict[str, Actor] = {}
    for k, uid in enumerate(managers):
        name, title = vocab.SOLUTION_ENGINEERS[k % len(vocab.SOLUTION_ENGINEERS)]
        email = f"{name.lower().replace(' ', '.')}@{vocab.SELLER_DOMAIN}"
        engineers[uid] = Actor(name=name, title=title, email=email, side="seller", role="seller")
    team = Team(config, [p for p in people if p.role == "rep"], managers, styles, engineers)
    truth = SimTruth(
        org_id=config.org_id,
        seed=config.seed,
        now=config.end,
        config=config.model_dump(mode="json"),
        model=latent.model_card(),
        reps=[
            RepTruth(
                user_id=p.user_id,
                source_id=p.source_id,
                name=p.actor.name,
                role=p.role,
                team=p.team,
                manager_id=p.manager_id,
                timezone=p.timezone,
                skill=p.skill,
                top_rep=p.top,
                preferences=sorted(styles[p.user_id].keys) if p.user_id in styles else [],
            )
            for p in people
        ],
        preferences=[
            PreferenceTruth(
                key=k,
                text=CATALOGUE[k],
                scope=s,  # type: ignore[arg-type]
                holders=sorted(u for u, st in styles.items() if st.holds(k)),
            )
            for k, s in sorted(scope.items())
        ],
        null_factors=list(latent.NULL_FACTORS),
    )
    return team, truth


def iter_world(config: SimConfig, batch_deals: int = 1000) -> Iterator[WorldBatch]:
    """Generate the world in batches of ``batch_deals`` deals with bounded memory.

    The same config yields the same rows regardless of ``batch_deals``.

    Raises:
        ValueError: ``batch_deals`` is not positive.
    """
    if batch_deals < 1:
        raise ValueError(f"batch_deals must be >= 1, got {batch_deals}")
    team, header = _team(config)
    tally = EffectTally()
    n_accounts = 0
    next_act = 1
    for b, first in enumerate(range(0, config.deals, batch_deals)):
        truth = (
            header
            if b == 0
            else SimTruth(
                org_id=config.org_id, seed=config.seed, now=config.end, config=header.config
            )
        )
        batch = WorldBatch(index=b, truth=truth)
        if b == 0:
            batch.orgs.append(build_org(config))
            batch.users.extend(user_rows(config, [*team.managers.values(), *team.reps]))
        for i in range(first, min(first + batch_deals, config.deals)):
            pick = rng_for(config.seed, "deal-account", i)
            if n_accounts == 0 or pick.random() < config.accounts_per_deal:
                idx, new = n_accounts, True
                n_accounts += 1
            else:
                idx, new = pick.randrange(n_accounts), False
            account = build_account(config, idx)
            out = build_deal(team, i, account, next_act)
            next_act += len(out.activities)
            if new:
                seen = out.created_at - timedelta(days=pick.uniform(1, 90))
                row, persons = account_rows(config, account, seen)
                batch.accounts.append(row)
                batch.people.extend(persons)
            batch.deals.append(out.deal)
            batch.changes.extend(out.changes)
            batch.activities.extend(out.activities)
            assert out.truth is not None
            truth.deals.append(out.truth)
            truth.activities.update((a.source_id, a) for a in out.activity_truths)
            if out.shock:
                truth.shocks.append(out.shock)
            if out.stall:
                truth.stalls.append(out.stall)
            tally.add(out.truth)
        if first + batch_deals >= config.deals:
            truth.effects = tally.effects()
        yield batch


def simulate(config: SimConfig | None = None) -> World:
    """Generate a whole world in memory (small and medium sizes; use ``iter_world`` for big)."""
    config = config or SimConfig()
    world: World | None = None
    for batch in iter_world(config, batch_deals=max(config.deals, 1)):
        if world is None:
            world = World(index=0, truth=batch.truth, config=config)
        for kind in ROW_KINDS:
            getattr(world, kind).extend(getattr(batch, kind))
        if batch.truth is not world.truth:
            world.truth.extend(batch.truth)
    assert world is not None
    return world
