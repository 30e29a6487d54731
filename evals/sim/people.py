"""Who exists in the simulated world: the org, its reps and managers, buyer accounts and people.

Every entity is a pure function of ``(seed, index)`` so the streaming generator can
build any account on demand without holding the whole world in memory.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evals.sim import vocab
from evals.sim.config import SimConfig
from memory.ids import make_id
from memory.models import DEFAULT_STAGES


def rng_for(seed: int, *parts: object) -> random.Random:
    """Return a private random stream for one entity of one seeded world."""
    return random.Random("|".join([str(seed), *(str(p) for p in parts)]))


@dataclass(frozen=True)
class Actor:
    """A person who can appear in an activity (buyer stakeholder or seller)."""

    name: str
    title: str
    email: str
    side: str  # "buyer" | "seller"
    seniority: str | None = None
    role: str = "influencer"
    person_id: str | None = None

    @property
    def first(self) -> str:
        """First name, as people address each other."""
        return self.name.split(" ", 1)[0]

    def participant(self) -> dict[str, Any]:
        """The activity participant dict for this person."""
        return {"name": self.name, "email": self.email, "title": self.title, "side": self.side}


@dataclass(frozen=True)
class Rep:
    """A seller-side user: a rep (with a latent skill) or a manager."""

    source_id: str
    user_id: str
    actor: Actor
    role: str
    team: str
    manager_id: str | None
    timezone: str
    skill: float
    top: bool


@dataclass(frozen=True)
class AccountProfile:
    """A buyer company with its buying group and a few stable operating facts."""

    index: int
    source_id: str
    account_id: str
    name: str
    segment: str
    industry: str
    region: str
    people: tuple[Actor, ...]
    fleet: int
    depots: int

    @property
    def eb(self) -> Actor:
        """The person who controls the budget."""
        return self.people[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def build_org(config: SimConfig) -> dict[str, Any]:
    """Return the org row."""
    return {
        "id": config.org_id,
        "name": config.org_name,
        "currency": "USD",
        "stages": list(DEFAULT_STAGES),
        "created_at": config.start,
    }


def build_team(config: SimConfig) -> list[Rep]:
    """Return managers then reps; skills are latent, the best few reps are "top reps"."""
    rng = rng_for(config.seed, "team")
    org = config.org_id
    names = rng.sample(
        [f"{f} {last}" for f in sorted(vocab.SELLER_FIRST) for last in sorted(vocab.SELLER_LAST)],
        config.managers + config.reps,
    )
    out: list[Rep] = []
    managers: list[Rep] = []
    for m in range(config.managers):
        sid = f"U{m + 1:03d}"
        team = vocab.TEAM_NAMES[m % len(vocab.TEAM_NAMES)] + ("" if m < 5 else f" {m // 5 + 1}")
        tz = vocab.TIMEZONES[m % len(vocab.TIMEZONES)]
        actor = _seller(names[m], vocab.SELLER_TITLES["manager"])
        rep = Rep(sid, make_id("user", org, sid), actor, "manager", team, None, tz, 0.0, False)
        managers.append(rep)
    skills = [rng.gauss(0.0, 1.0) for _ in range(config.reps)]
    n_top = max(1, round(config.top_rep_share * config.reps))
    cutoff = sorted(skills, reverse=True)[n_top - 1]
    for r in range(config.reps):
        sid = f"U{config.managers + r + 1:03d}"
        boss = managers[r % len(managers)]
        tz = vocab.TIMEZONES[rng.randrange(len(vocab.TIMEZONES))]
        actor = _seller(names[config.managers + r], vocab.SELLER_TITLES["rep"])
        out.append(
            Rep(
                sid,
                make_id("user", org, sid),
                actor,
                "rep",
                boss.team,
                boss.user_id,
                tz,
                round(skills[r], 4),
                skills[r] >= cutoff,
            )
        )
    return managers + out


def _seller(name: str, title: str) -> Actor:
    first, last = name.split(" ", 1)
    email = f"{_slug(first)}.{_slug(last)}@{vocab.SELLER_DOMAIN}"
    return Actor(name=name, title=title, email=email, side="seller", role="seller")


def user_rows(config: SimConfig, team: list[Rep]) -> list[dict[str, Any]]:
    """Return User rows for managers and reps."""
    org_row_id = config.org_id
    return [
        {
            "id": r.user_id,
            "org_id": org_row_id,
            "name": r.actor.name,
            "email": r.actor.email,
            "role": r.role,
            "team": r.team,
            "manager_id": r.manager_id,
            "timezone": r.timezone,
            "source_id": r.source_id,
        }
        for r in team
    ]


def _company_name(index: int) -> str:
    heads, tails, forms = vocab.COMPANY_HEADS, vocab.COMPANY_TAILS, vocab.COMPANY_FORMS
    combos = len(heads) * len(tails) * len(forms)
    # A multiplier coprime to ``combos`` walks every combination once before repeating.
    k = (index * 7919 + 13) % combos
    name = heads[k % len(heads)] + " " + tails[(k // len(heads)) % len(tails)]
    name += forms[k // (len(heads) * len(tails))]
    if index >= combos:
        name += f" ({vocab.CITIES[(index // combos) % len(vocab.CITIES)]})"
    return name


def build_account(config: SimConfig, index: int) -> AccountProfile:
    """Return account ``index`` with its buying group (7-8 people, fixed slots)."""
    rng = rng_for(config.seed, "account", index)
    sid = f"A{index + 1:05d}"
    name = _company_name(index)
    domain = _slug(name.split(" (")[0].replace(" Inc.", "").replace(" Ltd", "")) + ".com"
    segment = rng.choices(vocab.SEGMENTS, weights=(45, 35, 20))[0]
    region = rng.choices(vocab.REGIONS, weights=(55, 30, 15))[0]
    industry = rng.choice(vocab.INDUSTRIES)
    slots = [
        ("exec", rng.choice(vocab.EB_TITLES)),
        ("exec", rng.choice(vocab.EXEC_TITLES)),
        ("director", "Director of IT" if rng.random() < 0.6 else "Head of IT"),
        ("director", rng.choice(vocab.DIRECTOR_TITLES[1:])),
        ("manager", "Procurement Manager"),
        ("manager", rng.choice(vocab.MANAGER_TITLES[1:])),
        ("ic", rng.choice(vocab.IC_TITLES)),
    ]
    if rng.random() < 0.5:
        slots.append(("ic", rng.choice(vocab.IC_TITLES)))
    if slots[1][1] in {"COO", "Chief Operating Officer"} and slots[0][1] == "COO":
        slots[0] = ("exec", "CFO")
    used: set[str] = set()
    people: list[Actor] = []
    for j, (seniority, title) in enumerate(slots):
        while True:
            first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
            seller_like = first in vocab.SELLER_FIRST and last in vocab.SELLER_LAST
            if first not in used and last not in used and not seller_like:
                break
        used.update((first, last))
        psid = f"{sid}-P{j + 1}"
        people.append(
            Actor(
                name=f"{first} {last}",
                title=title,
                email=f"{_slug(first)}.{_slug(last)}@{domain}",
                side="buyer",
                seniority=seniority,
                role=vocab.functional_role(title),
                person_id=make_id("person", config.org_id, psid),
            )
        )
    base_fleet = {"smb": 25, "mid": 120, "enterprise": 600}[segment]
    fleet = int(base_fleet * math.exp(rng.gauss(0.0, 0.4)))
    depots = max(1, round(fleet / rng.uniform(25, 60)))
    return AccountProfile(
        index=index,
        source_id=sid,
        account_id=make_id("account", config.org_id, sid),
        name=name,
        segment=segment,
        industry=industry,
        region=region,
        people=tuple(people),
        fleet=fleet,
        depots=depots,
    )


def account_rows(
    config: SimConfig, account: AccountProfile, first_seen: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the Account row and its Person rows, created when the account first appears."""
    org_row_id = config.org_id
    row = {
        "id": account.account_id,
        "org_id": org_row_id,
        "name": account.name,
        "segment": account.segment,
        "industry": account.industry,
        "region": account.region,
        "source_id": account.source_id,
        "created_at": first_seen,
        "recorded_at": first_seen,
    }
    people = [
        {
            "id": p.person_id,
            "org_id": org_row_id,
            "account_id": account.account_id,
            "name": p.name,
            "title": p.title,
            "seniority": p.seniority,
            "email": p.email,
            "source_id": f"{account.source_id}-P{j + 1}",
            "recorded_at": first_seen,
        }
        for j, p in enumerate(account.people)
    ]
    return row, people
