from __future__ import annotations

import random

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import delete

from memory.asof import deals_as_of
from memory.checkpoints import PipelineCheckpoint, ensure_checkpoints
from memory.db import session_scope
from memory.ingest import ingest
from tests.factories import account, change, day, deal, org

STAGES = ["discovery", "proposal", "negotiation", "closed_won", "closed_lost"]


def _random_changes(rng: random.Random, n: int, tag: str) -> list[dict]:
    rows = []
    for i in range(n):
        d = f"D{rng.randrange(12)}"
        valid = rng.uniform(0, 100)
        recorded = valid + (rng.uniform(0, 30) if rng.random() < 0.3 else 0)
        field = rng.choice(["stage", "amount", "owner_id"])
        value = rng.choice(STAGES) if field == "stage" else rng.randrange(1, 9) * 1000
        if field == "owner_id":
            value = rng.choice(["u1", "u2"])
        rows.append(change(d, field, value, valid, recorded, src=f"{tag}{i}"))
        if rng.random() < 0.1:  # a correction: same valid time, recorded later
            rows.append(change(d, field, value, valid, recorded + 5, src=f"{tag}{i}c"))
    return rows


def _snapshot(engine: Engine, t: float, k: float | None, include_closed: bool) -> list:
    with session_scope(engine) as s:
        return [
            (x.deal_id, x.fields)
            for x in deals_as_of(
                s,
                org_id="acme",
                as_of=day(t),
                known_at=day(k) if k is not None else None,
                include_closed=include_closed,
            )
        ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_checkpoint_reads_equal_full_history_reads(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    with session_scope(engine) as s:
        ingest(s, orgs=[org()], accounts=[account()], deals=[deal(src=f"D{i}") for i in range(12)])
        ingest(s, changes=_random_changes(rng, 300, "a"))
    queries = [
        (rng.uniform(0, 140), rng.choice([None, rng.uniform(0, 140)]), rng.random() < 0.5)
        for _ in range(25)
    ]
    expected = [_snapshot(engine, *q) for q in queries]
    with session_scope(engine) as s:
        built = ensure_checkpoints(s, org_id="acme", every_days=20, now=day(140))
    assert built, "checkpoints should have been built"
    assert [_snapshot(engine, *q) for q in queries] == expected

    # History imported after the checkpoints were built (old valid and recorded times)
    # must still be seen: a checkpoint never goes stale.
    with session_scope(engine) as s:
        ingest(s, changes=_random_changes(rng, 80, "late"))
    with_old_checkpoints = [_snapshot(engine, *q) for q in queries]
    with session_scope(engine) as s:
        s.execute(delete(PipelineCheckpoint))
    without_checkpoints = [_snapshot(engine, *q) for q in queries]
    assert with_old_checkpoints == without_checkpoints
    assert without_checkpoints != expected  # the late import really changed answers
