from __future__ import annotations

from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.ids import make_id
from memory.ingest import ingest
from memory.timeline import deal_timeline, deal_velocity
from tests.factories import account, activity, change, day, deal, org

D1 = make_id("deal", "acme", "D1")


def _seed(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org()],
            accounts=[account()],
            deals=[deal()],
            changes=[
                change("D1", "stage", "discovery", 0),
                change("D1", "close_date", "2026-03-31", 0),
                change("D1", "amount", 10000, 0),
                change("D1", "stage", "proposal", 10),
                change("D1", "stage", "discovery", 20),  # regression
                change("D1", "close_date", "2026-04-30", 25),
                change("D1", "close_date", "2026-06-30", 30, recorded=33),
                change("D1", "amount", 8000, 31),
            ],
            activities=[
                activity("D1", "ACT1", 2, "Intro call with the buyer."),
                activity("D1", "ACT2", 12, "Internal note.", kind="note", buyer=False),
                activity("D1", "ACT3", 15, "Thanks!", kind="email", direction="inbound"),
            ],
        )


def test_velocity_counts(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        v = deal_velocity(s, org_id="acme", deal_id=D1, as_of=day(35))
    assert v is not None
    assert v.stage_transitions == 2
    assert v.stage_regressions == 1
    assert v.days_in_stage == 15
    assert v.close_date_pushes == 2
    assert v.close_date_push_days == 30 + 61
    assert v.amount_changes == 1
    assert v.amount_change_pct == -0.2
    assert v.activities == 3
    assert v.buyer_activities == 2
    assert v.days_since_last_buyer_activity == 20


def test_velocity_as_known_then_ignores_late_record(sqlite_engine: Engine) -> None:
    _seed(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        v = deal_velocity(s, org_id="acme", deal_id=D1, as_of=day(31), known_at=day(31))
    assert v is not None and v.close_date_pushes == 1


def test_timeline_lists_changes_with_old_values(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        entries = deal_timeline(s, org_id="acme", deal_id=D1, since=day(9))
    fields = [(e.field, e.old, e.new) for e in entries if e.kind == "field"]
    assert ("stage", "discovery", "proposal") in fields
    assert ("close_date", "2026-04-30", "2026-06-30") in fields
    assert all(e.at >= day(9) for e in entries)
    assert [e.activity_id for e in entries if e.kind == "activity"] == [
        make_id("activity", "acme", "ACT2"),
        make_id("activity", "acme", "ACT3"),
    ]
    assert entries == sorted(entries, key=lambda e: (e.at, e.recorded_at, e.kind))


def test_timeline_of_other_org_is_empty(sqlite_engine: Engine) -> None:
    _seed(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        assert deal_timeline(s, org_id="other", deal_id=D1) == []
