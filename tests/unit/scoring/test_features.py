"""Point-in-time features: nothing recorded after the scoring instant may change them."""

from __future__ import annotations

import math

from sqlalchemy.engine import Engine

from memory.db import session_scope
from scoring.features import build_features, build_features_at
from scoring.settings import ScoringSettings
from tests.unit.scoring.helpers import (
    activity,
    add,
    change,
    day,
    deal,
    deal_id,
    payload,
    seed_basic,
    signal,
    store,
)

__all__ = ["store"]
D1 = deal_id("D1")


def _features(engine: Engine, at: float, **kw: object) -> dict[str, object]:
    with session_scope(engine) as s:
        rows = build_features(s, org_id="acme", as_of=day(at), deal_ids=[D1], **kw)  # type: ignore[arg-type]
    assert len(rows) == 1
    return rows[0].values


def _same(a: dict[str, object], b: dict[str, object]) -> bool:
    def norm(v: object) -> object:
        return "nan" if isinstance(v, float) and math.isnan(v) else v

    return {k: norm(v) for k, v in a.items()} == {k: norm(v) for k, v in b.items()}


def test_later_activity_does_not_leak_into_an_earlier_instant(store: Engine) -> None:
    seed_basic(store)
    call = activity("D1", "A1", 5)
    add(
        store,
        activities=[call],
        signals=[
            signal(
                call,
                payload(champion={"name": "Ann", "title": "Ops Manager", "seniority": "manager"}),
                recorded=5,
            )
        ],
    )
    before = _features(store, 10)
    # Later: an exec champion appears, the economic buyer engages, the deal moves on, and
    # a correction of day 8 is recorded on day 15. All of it would change the answer...
    late = activity("D1", "A2", 20, recorded=21)
    add(
        store,
        activities=[late],
        signals=[
            signal(
                late,
                payload(
                    champion={"name": "Cy", "title": "CEO", "seniority": "exec"},
                    economic_buyer={"name": "Cy", "title": "CEO"},
                    economic_buyer_engaged=True,
                ),
                recorded=21,
            )
        ],
        changes=[
            change("D1", "stage", "proposal", 20),
            change("D1", "amount", 90000, 8, recorded=15),
        ],
    )
    after = _features(store, 25)
    assert (
        after["champion_seniority"] == 4.0
        and after["eb_engaged"] == 1.0
        and after["_stage"] == "proposal"
    )
    # ... but the features at day 10 are exactly what they were before it was added.
    again = _features(store, 10)
    assert _same(before, again)
    assert again["champion_seniority"] == 2.0 and again["amount_log"] == math.log1p(20000)


def test_change_recorded_late_is_invisible_until_recorded(store: Engine) -> None:
    seed_basic(store)
    add(store, changes=[change("D1", "stage", "proposal", 3, recorded=12)])
    assert _features(store, 10)["_stage"] == "discovery"
    assert _features(store, 12)["_stage"] == "proposal"
    # as of day 12, the change took effect on day 3: 9 days in stage
    assert round(float(_features(store, 12)["days_in_stage"]), 3) == 9.0  # type: ignore[arg-type]


def test_newest_extraction_known_at_the_instant_wins(store: Engine) -> None:
    seed_basic(store)
    call = activity("D1", "A1", 5)
    add(
        store,
        activities=[call],
        signals=[
            signal(
                call,
                payload(champion={"name": "Ann", "title": "Ops Manager", "seniority": "manager"}),
                recorded=6,
                extractor="llm-v1",
            ),
            signal(
                call,
                payload(champion={"name": "Ann", "title": "VP Operations", "seniority": "exec"}),
                recorded=30,
                extractor="llm-v2",
            ),
        ],
    )
    assert _features(store, 10)["champion_seniority"] == 2.0
    assert _features(store, 31)["champion_seniority"] == 4.0
    only_v1 = ScoringSettings(extractor=("llm-v1",))
    assert _features(store, 31, settings=only_v1)["champion_seniority"] == 2.0


def test_backfilled_extraction_counts_from_the_activity_only_when_allowed(store: Engine) -> None:
    seed_basic(store)
    call = activity("D1", "A1", 5)
    add(
        store,
        activities=[call],
        signals=[signal(call, payload(pricing_discussed=True), recorded=40)],
    )
    assert _features(store, 10)["pricing_discussed"] == 1.0
    strict = ScoringSettings(backfill_signals=False)
    assert math.isnan(float(_features(store, 10, settings=strict)["pricing_discussed"]))  # type: ignore[arg-type]
    # the activity itself was unknown before it was recorded
    assert math.isnan(float(_features(store, 4)["pricing_discussed"]))  # type: ignore[arg-type]


def test_unknown_is_not_the_same_as_no(store: Engine) -> None:
    seed_basic(store)
    assert math.isnan(float(_features(store, 3)["champion_seniority"]))  # type: ignore[arg-type]
    call = activity("D1", "A1", 5)
    add(store, activities=[call], signals=[signal(call, payload(), recorded=5)])
    values = _features(store, 6)
    assert values["champion_seniority"] == 0.0 and values["champion_identified"] == 0.0


def test_closed_deals_are_left_out_of_the_open_pipeline(store: Engine) -> None:
    seed_basic(store)
    add(
        store,
        deals=[deal(src="D2", created=1)],
        changes=[change("D2", "stage", "discovery", 1), change("D2", "stage", "closed_lost", 5)],
    )
    with session_scope(store) as s:
        open_rows = build_features(s, org_id="acme", as_of=day(6))
        earlier = build_features(s, org_id="acme", as_of=day(4))
    assert [r.deal_id for r in open_rows] == [D1]
    assert {r.deal_id for r in earlier} == {D1, deal_id("D2")}


def test_rep_history_only_counts_closes_known_by_then(store: Engine) -> None:
    seed_basic(store)
    add(
        store,
        deals=[deal(src="D2", created=0)],
        changes=[
            change("D2", "owner_id", "u1", 0),
            change("D2", "stage", "discovery", 0),
            change("D2", "stage", "closed_won", 5, recorded=9),
        ],
    )
    assert _features(store, 8)["rep_closed_deals"] == 0.0
    assert _features(store, 9)["rep_closed_deals"] == 1.0


def test_each_deal_at_its_own_instants(store: Engine) -> None:
    seed_basic(store)
    with session_scope(store) as s:
        rows = build_features_at(s, org_id="acme", instants={D1: [day(-1), day(2), day(4)]})
    # not known yet on day -1: no row
    assert [r.at for r in rows] == [day(2), day(4)]
    assert [round(float(r.values["age_days"]), 3) for r in rows] == [2.0, 4.0]  # type: ignore[arg-type]
