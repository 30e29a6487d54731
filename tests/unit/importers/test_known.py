from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.engine import Engine

from memory.asof import deals_as_of
from memory.db import session_scope
from memory.ids import make_id
from memory.importers.known import FieldLog, snapshot_source_id
from memory.ingest import ingest
from tests.factories import T0, account, change, day, deal, org


def test_value_at_matches_deals_as_of_on_random_histories(sqlite_engine: Engine) -> None:
    rng = random.Random(7)
    deals = [f"D{i}" for i in range(6)]
    changes = []
    for n in range(200):
        valid = rng.randint(0, 30)
        recorded = valid + rng.choice([0, 0, 0, 3, 10])  # some late-recorded corrections
        changes.append(
            change(
                rng.choice(deals),
                rng.choice(["stage", "amount"]),
                rng.randint(1, 5),
                valid,
                recorded,
                src=f"c{n}",
            )
        )
    with session_scope(sqlite_engine) as s:
        ingest(
            s,
            orgs=[org()],
            accounts=[account()],
            deals=[deal(src=d) for d in deals],
            changes=changes,
        )
    ids = [make_id("deal", "acme", d) for d in deals]
    with session_scope(sqlite_engine) as s:
        log = FieldLog.load(s, "acme", ids)
        for probe in range(0, 34, 2):
            at = day(probe) + timedelta(hours=1)
            states = {st.deal_id: st.fields for st in deals_as_of(s, org_id="acme", as_of=at)}
            for deal_id in ids:
                for name in ("stage", "amount"):
                    known, value = log.value_at(deal_id, name, at)
                    expected = states.get(deal_id, {}).get(name)
                    assert (value if known else None) == expected, (deal_id, name, probe)


def test_diff_emits_only_differences_and_sees_its_own_events() -> None:
    log = FieldLog()
    first, same = log.diff(
        org_id="o",
        deal_id="d",
        deal_source_id="D",
        values={"stage": "a", "amount": None},
        valid_from=T0,
        recorded_at=T0,
        source="csv",
    )
    assert [c["field"] for c in first] == ["stage"] and same == 1
    again, same = log.diff(
        org_id="o",
        deal_id="d",
        deal_source_id="D",
        values={"stage": "a"},
        valid_from=day(1),
        recorded_at=day(1),
        source="csv",
    )
    assert again == [] and same == 1
    cleared, _ = log.diff(
        org_id="o",
        deal_id="d",
        deal_source_id="D",
        values={"stage": None},
        valid_from=day(2),
        recorded_at=day(2),
        source="csv",
    )
    assert cleared[0]["value"] is None


def test_snapshot_source_ids_are_deterministic() -> None:
    a = snapshot_source_id("o", "D1", "stage", "x", T0)
    assert a == snapshot_source_id("o", "D1", "stage", "x", T0)
    assert a != snapshot_source_id("o", "D1", "stage", "y", T0)
    assert a != snapshot_source_id("o", "D1", "stage", "x", day(1))
    assert a != snapshot_source_id("p", "D1", "stage", "x", T0)
