from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.rollups import stage_weight
from agent.cascade.worker import Worker
from memory.db import session_scope
from memory.derived import AccountRollup, DealRollup, PipelineRollup
from memory.ids import make_id
from memory.ingest import ingest
from memory.models import DEFAULT_STAGES
from tests.factories import activity, change


@pytest.mark.parametrize(
    ("stage", "weight"),
    [
        ("prospecting", 0.1429),
        ("negotiation", 0.8571),
        ("closed_won", 1.0),
        ("closed_lost", 0.0),
        (None, 0.0),
        ("odd", 0.0),
    ],
)
def test_stage_weight_is_the_position_among_open_stages(stage: str | None, weight: float) -> None:
    assert stage_weight(DEFAULT_STAGES, stage) == weight


def test_rollups_add_up_by_account_stage_and_forecast(
    store: Engine, worker: Callable[..., Worker]
) -> None:
    with session_scope(store) as s:
        ingest(
            s,
            changes=[
                change("D2", "stage", "closed_won", 5),
                change("D6", "stage", "closed_lost", 5),
            ],
            activities=[
                activity("D1", "X1", 50),
                activity("D1", "X2", 55, kind="email", buyer=False),
            ],
        )
    worker().drain()
    with Session(store) as s:
        d1 = s.get(DealRollup, make_id("deal", "acme", "D1"))
        a1 = s.get(AccountRollup, make_id("account", "acme", "A1"))
        p = s.get(PipelineRollup, "acme")
    assert d1 is not None and a1 is not None and p is not None
    # D1: discovery (3rd of 6 open stages) 1000; one buyer call 10 days before NOW.
    assert (d1.stage, d1.amount, d1.weight, d1.weighted_amount) == (
        "discovery",
        1000.0,
        0.4286,
        428.6,
    )
    assert (d1.activities, d1.buyer_activities, d1.velocity["days_since_last_buyer_activity"]) == (
        2,
        1,
        10.0,
    )
    assert d1.flags == []
    # A1 = D1 open 1000 + D2 won 2000.
    assert (a1.deals, a1.open_count, a1.open_amount, a1.won_count, a1.won_amount) == (
        2,
        1,
        1000.0,
        1,
        2000.0,
    )
    assert a1.by_stage == {"discovery": {"count": 1, "amount": 1000.0, "weighted": 428.6}}
    # Pipeline: D1 1000, D3 3000, D4 4000, D5 5000 open; D2 won; D6 lost.
    assert (p.accounts, p.deals, p.open_count, p.open_amount) == (3, 6, 4, 13000.0)
    assert (p.won_amount, p.lost_count, p.lost_amount, p.activities) == (2000.0, 1, 6000.0, 2)
    assert p.by_stage["discovery"]["count"] == 1 and p.by_stage["negotiation"]["amount"] == 3000.0
    # Forecast: D4 commit (qualification 2/7); D1, D3, D5 pipeline (3/7, 6/7, 4/7).
    assert p.by_forecast == {
        "commit": {"count": 1, "amount": 4000.0, "weighted": 1142.8},
        "pipeline": {"count": 3, "amount": 9000.0, "weighted": round(428.6 + 2571.3 + 2857.0, 2)},
    }
    assert p.at_risk_count == 3  # no buyer activity on D3, D4, D5


def test_deal_flags_say_what_looks_wrong(store: Engine, worker: Callable[..., Worker]) -> None:
    with session_scope(store) as s:
        ingest(
            s,
            changes=[
                change("D3", "stage", "discovery", 20),
                change("D3", "close_date", "2026-05-31", 21),
                change("D4", "close_date", "2026-02-01", 22),
            ],
            activities=[activity("D3", "X1", 59), activity("D4", "X2", 59)],
        )
    worker().drain()
    with Session(store) as s:
        d3 = s.get(DealRollup, make_id("deal", "acme", "D3"))
        d4 = s.get(DealRollup, make_id("deal", "acme", "D4"))
    assert d3 is not None and d4 is not None
    assert d3.flags == ["close_date_pushed", "stage_regressed"]
    assert d4.flags == ["past_close_date"]
