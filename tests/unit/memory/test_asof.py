from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from memory.asof import deal_as_of, deals_as_of, field_history, pipeline_as_of
from memory.db import session_scope
from memory.ids import make_id
from memory.ingest import ingest
from tests.factories import account, change, day, deal, org

D1 = make_id("deal", "acme", "D1")


def _seed(engine: Engine) -> None:
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[org()],
            accounts=[account()],
            deals=[deal(src="D1"), deal(src="D2", created=20)],
            changes=[
                change("D1", "stage", "discovery", 0),
                change("D1", "amount", 10000, 0),
                change("D1", "stage", "proposal", 10),
                change("D1", "amount", 15000, 12),
                # learned late: true from day 15, recorded on day 25
                change("D1", "stage", "negotiation", 15, recorded=25),
                change("D1", "stage", "closed_won", 40),
                change("D2", "stage", "discovery", 20),
                change("D2", "custom_region", "EMEA", 20),
            ],
        )


def test_as_of_valid_time(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        assert deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(5)).stage == "discovery"
        state = deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(11))
        assert state.stage == "proposal"
        assert state.amount == 10000
        assert deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(13)).amount == 15000


def test_fact_recorded_late_is_invisible_as_known_then(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        # In hindsight the deal was in negotiation on day 20 ...
        assert deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(20)).stage == "negotiation"
        # ... but on day 20 Keel still believed it was in proposal.
        knew = deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(20), known_at=day(20))
        assert knew.stage == "proposal"
        after = deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(20), known_at=day(25))
        assert after.stage == "negotiation"


def test_correction_supersedes_without_erasing_history(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        ingest(s, changes=[change("D1", "amount", 12000, 12, recorded=14)])
    with session_scope(engine) as s:
        assert deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(13)).amount == 12000
        before = deal_as_of(s, org_id="acme", deal_id=D1, as_of=day(13), known_at=day(13))
        assert before.amount == 15000
        hist = field_history(s, org_id="acme", deal_id=D1, as_of=day(30))
        assert [v for _, v in hist["amount"]] == [10000, 12000]


def test_deal_does_not_exist_before_creation(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        ids = {d.source_id for d in deals_as_of(s, org_id="acme", as_of=day(10))}
        assert ids == {"D1"}
        ids = {d.source_id for d in deals_as_of(s, org_id="acme", as_of=day(21))}
        assert ids == {"D1", "D2"}


def test_pipeline_excludes_closed_and_keeps_custom_fields(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        at_30 = pipeline_as_of(s, org_id="acme", as_of=day(30))
        assert {d.source_id for d in at_30} == {"D1", "D2"}
        at_50 = pipeline_as_of(s, org_id="acme", as_of=day(50))
        assert [d.source_id for d in at_50] == ["D2"]
        assert at_50[0].fields["custom_region"] == "EMEA"


def test_other_org_never_visible(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        ingest(s, orgs=[org("other")], accounts=[account("other")], deals=[deal("other", "D1")])
        ingest(s, changes=[change("D1", "stage", "discovery", 0, org_id="other")])
    with session_scope(engine) as s:
        acme = pipeline_as_of(s, org_id="acme", as_of=day(30))
        other = pipeline_as_of(s, org_id="other", as_of=day(30))
        assert {d.org_id for d in acme} == {"acme"}
        assert {d.org_id for d in other} == {"other"}
        assert deal_as_of(s, org_id="other", deal_id=D1, as_of=day(30)) is None


@pytest.mark.parametrize("owner, expected", [("u1", {"D1"}), ("u2", {"D2"}), ("nobody", set())])
def test_owner_filter_uses_owner_as_of(
    sqlite_engine: Engine, owner: str, expected: set[str]
) -> None:
    _seed(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        ingest(s, changes=[change("D1", "owner_id", "u1", 0), change("D2", "owner_id", "u2", 20)])
    with session_scope(sqlite_engine) as s:
        found = pipeline_as_of(s, org_id="acme", as_of=day(30), owner_ids=[owner])
        assert {d.source_id for d in found} == expected
