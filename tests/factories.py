"""Tiny factories for store records used across tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from memory.ids import content_hash, make_id

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    """T0 plus ``n`` days."""
    return T0 + timedelta(days=n)


def org(org_id: str = "acme") -> dict[str, Any]:
    return {"id": org_id, "name": org_id.title(), "created_at": T0}


def user(org_id: str = "acme", uid: str = "u1", role: str = "rep", **kw: Any) -> dict[str, Any]:
    return {
        "id": uid,
        "org_id": org_id,
        "name": uid.upper(),
        "email": f"{uid}@x.test",
        "role": role,
    } | kw


def account(org_id: str = "acme", src: str = "A1") -> dict[str, Any]:
    return {
        "id": make_id("account", org_id, src),
        "org_id": org_id,
        "name": f"Account {src}",
        "source_id": src,
        "created_at": T0,
        "recorded_at": T0,
    }


def deal(
    org_id: str = "acme", src: str = "D1", account_src: str = "A1", created: float = 0
) -> dict[str, Any]:
    return {
        "id": make_id("deal", org_id, src),
        "org_id": org_id,
        "account_id": make_id("account", org_id, account_src),
        "name": f"Deal {src}",
        "source_id": src,
        "created_at": day(created),
        "recorded_at": day(created),
    }


def change(
    deal_src: str,
    field: str,
    value: Any,
    valid: float,
    recorded: float | None = None,
    org_id: str = "acme",
    src: str | None = None,
) -> dict[str, Any]:
    recorded = valid if recorded is None else recorded
    return {
        "org_id": org_id,
        "deal_id": make_id("deal", org_id, deal_src),
        "field": field,
        "value": value,
        "valid_from": day(valid),
        "recorded_at": day(recorded),
        "source_id": src or f"{deal_src}:{field}:{valid}:{recorded}:{value}",
    }


def activity(
    deal_src: str,
    src: str,
    at: float,
    body: str = "Call notes.",
    kind: str = "call",
    buyer: bool = True,
    recorded: float | None = None,
    org_id: str = "acme",
    direction: str | None = None,
) -> dict[str, Any]:
    participants = [{"name": "Sam Seller", "side": "seller"}]
    if buyer:
        participants.append({"name": "Bea Buyer", "side": "buyer", "title": "VP Ops"})
    return {
        "id": make_id("activity", org_id, src),
        "org_id": org_id,
        "deal_id": make_id("deal", org_id, deal_src),
        "kind": kind,
        "body": body,
        "participants": participants,
        "direction": direction,
        "occurred_at": day(at),
        "recorded_at": day(at if recorded is None else recorded),
        "source_id": src,
        "content_hash": content_hash(body),
    }
