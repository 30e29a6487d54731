"""The simulated org the agent evaluation and benchmark talk to, and who plays which part.

Requests in ``evals/data/agent_requests.jsonl`` name deals and people through placeholders
(``{own1}``, ``{other1}``, ``{team_rep}`` ...) that are filled from this world, so the same
requests work for any seed: ``own*`` are open deals of the rep asking, ``teammate*`` open
deals of a rep on the same team (the manager may see them, the rep may not), ``other*``
open deals of a rep on another team. Every placeholder deal has an account name no other
deal of the org shares, so a reference to it is unambiguous.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col

from evals.sim import SimConfig, simulate, truth_signals_rows
from memory.asof import DealState, deals_as_of
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from memory.models import Account
from memory.scoring_store import create_scoring_tables

_SUFFIXES = re.compile(r"\s+(GmbH|Ltd|Inc\.|Oy|Group|& Co\.|AB|LLC|SA)$")
WORLD = SimConfig(
    reps=4, managers=2, deals=160, seed=11, months=12, start=datetime(2025, 9, 1, tzinfo=UTC)
)


@dataclass(frozen=True)
class DealRef:
    """A deal a request may mention."""

    deal_id: str
    name: str
    account: str
    short: str
    amount: float | None


@dataclass
class AgentWorld:
    """The seeded store plus the cast and placeholder values."""

    engine: Engine
    now: datetime
    org_id: str
    users: dict[str, str]  # part -> user id
    deals: dict[str, DealRef] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # placeholder -> text

    def fill(self, text: str) -> str:
        """Replace ``{placeholder}`` markers with this world's names.

        Raises:
            KeyError: An unknown placeholder.
        """
        return re.sub(r"\{(\w+)\}", lambda m: self.names[m.group(1)], text)


def short_name(account: str) -> str:
    """The account name as a rep would say it ("Glacier Bay Auto Parts GmbH" -> "Glacier Bay Auto Parts")."""
    return _SUFFIXES.sub("", account).strip()


def typo(text: str) -> str:
    """A deterministic typo: swap two inner letters of the longest word."""
    words = text.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    for j in range(2, len(w) - 2):
        if w[j] != w[j + 1]:
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            break
    return " ".join(words)


def build_world(config: SimConfig = WORLD) -> AgentWorld:
    """Simulate the org into an in-memory store and cast the parts."""
    world = simulate(config)
    engine = make_engine("sqlite://")
    create_schema(engine)
    create_scoring_tables(engine)
    with session_scope(engine) as session:
        ingest(session, **world.rows())
        ingest(session, signals=truth_signals_rows(world))
    now = world.truth.now
    with session_scope(engine) as session:
        states = deals_as_of(session, org_id=config.org_id, as_of=now)
        rows = session.query(Account).filter(col(Account.org_id) == config.org_id)
        accounts = {a.id: a.name for a in rows}
    reps = [u for u in world.users if u["role"] == "rep"]
    managers = [u for u in world.users if u["role"] == "manager"]
    rep = reps[0]
    manager = next(m for m in managers if m["id"] == rep["manager_id"])
    teammate = next(u for u in reps if u["team"] == rep["team"] and u["id"] != rep["id"])
    outsider = next(u for u in reps if u["team"] != rep["team"])
    out = AgentWorld(
        engine=engine,
        now=now,
        org_id=config.org_id,
        users={
            "rep": rep["id"],
            "manager": manager["id"],
            "teammate": teammate["id"],
            "outsider": outsider["id"],
        },
    )
    per_account = Counter(s.account_id for s in states)
    shorts = Counter(short_name(a) for a in accounts.values())

    def refs(owner: str, *, open_only: bool = True) -> list[DealRef]:
        chosen: list[DealState] = [
            s
            for s in states
            if s.owner_id == owner
            and (not s.is_closed if open_only else s.is_closed)
            and per_account[s.account_id] == 1
            and shorts[short_name(accounts[s.account_id])] == 1
        ]
        chosen.sort(key=lambda s: (-(s.amount or 0), s.deal_id))
        return [
            DealRef(
                s.deal_id,
                str(s.fields.get("name") or s.name),
                accounts[s.account_id],
                short_name(accounts[s.account_id]),
                s.amount,
            )
            for s in chosen
        ]

    all_shorts = [short_name(a).lower().split() for a in accounts.values()]

    def short_unique_first(ref: DealRef) -> str:
        """The fewest leading words of the account name that no other account starts with."""
        words = ref.short.split()
        for k in range(1, len(words) + 1):
            head = [w.lower() for w in words[:k]]
            if sum(1 for other in all_shorts if other[:k] == head) == 1:
                return " ".join(words[:k])
        return ref.short

    for prefix, owner, open_only in [
        ("own", rep["id"], True),
        ("ownclosed", rep["id"], False),
        ("teammate", teammate["id"], True),
        ("other", outsider["id"], True),
    ]:
        for i, ref in enumerate(refs(owner, open_only=open_only)[:6], 1):
            key = f"{prefix}{i}"
            out.deals[key] = ref
            out.names[key] = short_unique_first(ref)
            out.names[f"{key}_full"] = ref.name
            out.names[f"{key}_typo"] = typo(short_unique_first(ref))
    own = [k for k in out.deals if k.startswith("own") and not k.startswith("ownclosed")]
    pairs = [
        (a, b)
        for a in own
        for b in own
        if a < b and out.deals[a].short.split()[0] == out.deals[b].short.split()[0]
    ]
    if pairs:  # two of the rep's deals whose accounts start alike: "the Copperfield deal"
        a, b = pairs[0]
        out.deals["amb_a"], out.deals["amb_b"] = out.deals[a], out.deals[b]
        out.names["amb"] = out.deals[a].short.split()[0]
        out.names["amb_b_word"] = out.deals[b].short.split()[1]
    for part, user in [
        ("rep", rep),
        ("manager", manager),
        ("team_rep", teammate),
        ("other_rep", outsider),
    ]:
        out.names[part] = str(user["name"]).split()[0]
        out.names[f"{part}_full"] = str(user["name"])
    return out


def case_deal(world: AgentWorld, key: str) -> DealRef:
    """The deal behind a ``@own1``-style reference in an expectation."""
    return world.deals[key.lstrip("@")]


def as_json(world: AgentWorld) -> dict[str, Any]:
    """A summary of the cast (for reports)."""
    return {"now": world.now.isoformat(), "users": world.users, "names": world.names}
