from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.health import compute_health
from memory.asof import deals_as_of
from memory.db import session_scope
from memory.derived import deal_inputs
from memory.ids import make_id
from memory.ingest import ingest
from memory.timeline import deal_velocity
from tests.factories import account, activity, change, day, deal, org

STAGES = ["prospecting", "qualification", "discovery", "solution", "proposal", "negotiation"]


def random_store(engine: Engine, seed: int) -> list[str]:
    """Deals with corrections, regressions, pushes, closes, future-dated and late records."""
    rng = random.Random(seed)
    changes: list[dict[str, Any]] = []
    acts: list[dict[str, Any]] = []
    deals = [f"D{i}" for i in range(8)]
    for d in deals:
        for j in range(rng.randint(0, 12)):
            field = rng.choice(["stage", "amount", "close_date", "owner_id", "region"])
            value: Any = {
                "stage": rng.choice(STAGES + ["closed_won", "closed_lost"]),
                "amount": rng.choice([0, 500.0, 1200.5, 9000]),
                "close_date": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "owner_id": rng.choice(["u1", "u2"]),
                "region": rng.choice(["emea", "na"]),
            }[field]
            valid = rng.choice([rng.uniform(0, 70), float(rng.randint(0, 5))])  # ties on purpose
            recorded = valid + rng.choice([0, 0, rng.uniform(0, 20)])
            changes.append(change(d, field, value, valid, recorded, src=f"{d}:{j}"))
        for k in range(rng.randint(0, 6)):
            kind = rng.choice(["call", "email", "meeting", "note"])
            acts.append(
                activity(
                    d,
                    f"{d}:a{k}",
                    rng.uniform(0, 70),
                    kind=kind,
                    buyer=rng.random() < 0.5,
                    direction=rng.choice(["inbound", "outbound", None]),
                )
            )
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org()],
            accounts=[account()],
            deals=[deal(src=d, created=rng.uniform(0, 3)) for d in deals],
            changes=changes,
            activities=acts,
        )
    return [make_id("deal", "acme", d) for d in deals]


@pytest.mark.parametrize("seed", range(8))
def test_batch_health_equals_the_per_deal_reads(sqlite_engine: Engine, seed: int) -> None:
    ids = random_store(sqlite_engine, seed)
    as_of = day(40 + seed)
    with Session(sqlite_engine) as s:
        health = compute_health(s, org_id="acme", deal_ids=ids, as_of=as_of)
        states = {st.deal_id: st for st in deals_as_of(s, org_id="acme", as_of=as_of, deal_ids=ids)}
        assert set(health) == set(states)
        for deal_id, h in health.items():
            assert h.fields == states[deal_id].fields
            assert h.velocity == deal_velocity(s, org_id="acme", deal_id=deal_id, as_of=as_of)
        assert {d: h.inputs_version for d, h in health.items()} == deal_inputs(s, list(health))


def test_closed_deal_knows_when_it_closed_and_when_keel_learned_it(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        ingest(
            s,
            orgs=[org()],
            accounts=[account()],
            deals=[deal()],
            changes=[
                change("D1", "stage", "proposal", 1),
                change("D1", "stage", "closed_won", 10, recorded=12),
                change("D1", "stage", "closed_won", 11),  # a re-sync is not a new close
            ],
        )
    with Session(sqlite_engine) as s:
        (h,) = compute_health(
            s, org_id="acme", deal_ids=[make_id("deal", "acme", "D1")], as_of=day(20)
        ).values()
    assert (h.closed_at, h.close_known_at) == (day(10), day(12))


def test_deals_of_other_orgs_and_future_deals_are_left_out(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        ingest(s, orgs=[org(), org("beta")], accounts=[account(), account("beta")])
        ingest(s, deals=[deal(src="D1"), deal(src="D2", created=30), deal("beta", "D3")])
    ids = [
        make_id("deal", "acme", "D1"),
        make_id("deal", "acme", "D2"),
        make_id("deal", "beta", "D3"),
    ]
    with Session(sqlite_engine) as s:
        assert list(compute_health(s, org_id="acme", deal_ids=ids, as_of=day(10))) == [ids[0]]


def test_an_unusable_field_value_is_reported_with_its_deal(sqlite_engine: Engine) -> None:
    with session_scope(sqlite_engine) as s:
        ingest(
            s,
            orgs=[org()],
            accounts=[account()],
            deals=[deal()],
            changes=[change("D1", "amount", 100, 1), change("D1", "amount", "lots", 2)],
        )
    with Session(sqlite_engine) as s, pytest.raises(ValueError, match=r"Deal D1.*'lots'"):
        compute_health(s, org_id="acme", deal_ids=[make_id("deal", "acme", "D1")], as_of=day(5))
