"""A tiny sales org for tool and agent tests: two teams, known deal names, one manager."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.ids import make_id
from memory.ingest import ingest
from tests.factories import T0, activity, change, day, org, user

NOW: datetime = day(100)
ORG = "acme"

USERS = [
    user(ORG, "m1", "manager", name="Mona Marsh", team="East"),
    user(ORG, "r1", "rep", name="Rita Reyes", team="East", manager_id="m1"),
    user(ORG, "r2", "rep", name="Sam Stone", team="East", manager_id="m1"),
    user(ORG, "r3", "rep", name="Will West", team="West"),
    user(ORG, "a1", "admin", name="Ada Admin"),
]

ACCOUNTS = {
    "A1": "Northwind Traders",
    "A2": "Globex Corp",
    "A3": "Initech",
    "A4": "Umbrella Health",
}

# source id, account, name, owner, stage, amount, close date
DEALS = [
    ("D1", "A1", "Northwind renewal", "r1", "proposal", 120000.0, "2026-05-01"),
    ("D2", "A1", "Northwind expansion", "r1", "discovery", 80000.0, "2026-06-15"),
    ("D3", "A2", "Globex platform", "r2", "negotiation", 200000.0, "2026-04-20"),
    ("D4", "A3", "Initech payroll", "r3", "solution", 50000.0, "2026-05-30"),
    ("D5", "A4", "Umbrella rollout", "r1", "closed_won", 30000.0, "2026-03-01"),
]


def deal_id(src: str) -> str:
    """Store id of a deal by its source id."""
    return make_id("deal", ORG, src)


def seed(engine: Engine) -> None:
    """Ingest the tiny org into ``engine``."""
    accounts = [
        {"id": make_id("account", ORG, src), "org_id": ORG, "name": name, "source_id": src,
         "created_at": T0, "recorded_at": T0, "industry": "logistics", "segment": "mid"}
        for src, name in ACCOUNTS.items()
    ]  # fmt: skip
    deals: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    for src, acc, name, owner, stage, amount, close in DEALS:
        deals.append(
            {"id": deal_id(src), "org_id": ORG, "account_id": make_id("account", ORG, acc),
             "name": name, "source_id": src, "created_at": day(1), "recorded_at": day(1)}
        )  # fmt: skip
        changes += [
            change(src, "name", name, 1),
            change(src, "owner_id", owner, 1),
            change(src, "stage", "discovery", 1),
            change(src, "amount", amount, 1),
            change(src, "close_date", "2026-03-15", 1),
            change(src, "currency", "USD", 1),
        ]
        if stage != "discovery":
            changes.append(change(src, "stage", stage, 60))
        if close != "2026-03-15":
            changes.append(change(src, "close_date", close, 70))
        activities.append(activity(src, f"{src}-call", 10, body=f"Discovery call about {name}."))
    # Northwind renewal is active lately; Globex went quiet; the renewal grew last week.
    activities.append(
        activity("D1", "D1-email", 97, body="Re: proposal", kind="email", direction="inbound")
    )
    changes.append(change("D1", "amount", 135000.0, 96))
    with session_scope(engine) as session:
        ingest(session, orgs=[org(ORG)], users=USERS, accounts=accounts, deals=deals,
               changes=changes, activities=activities)  # fmt: skip
