from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from memory.asof import deal_as_of, deals_as_of
from memory.db import session_scope
from memory.ids import make_id
from memory.importers import ImportReport, import_salesforce, run_import
from memory.importers.mapping import build_mapping
from memory.importers.salesforce import SALESFORCE_MAPPING
from memory.models import FieldChange

NOW = datetime(2026, 3, 20, tzinfo=UTC)
ACME = make_id("deal", "acme", "0065g00000AAA01AAA")
NORTHWIND = make_id("deal", "acme", "0065g00000AAA02AAA")
INITECH = make_id("deal", "acme", "0065g00000AAA03AAA")


def _run(engine: Engine, opps: Path, history: Path | None = None, **kw: object) -> ImportReport:
    return run_import(
        engine,
        lambda s: import_salesforce(s, opps, history=history, org_id="acme", now=NOW, **kw),  # type: ignore[arg-type]
        source="salesforce",
        org_id="acme",
    )


def _at(engine: Engine, deal_id: str, when: str) -> dict[str, object]:
    with session_scope(engine) as s:
        state = deal_as_of(s, org_id="acme", deal_id=deal_id, as_of=datetime.fromisoformat(when))
    assert state is not None, when
    return state.fields


def test_history_import_gives_past_states(engine: Engine, examples: Path) -> None:
    report = _run(
        engine, examples / "salesforce_opportunities.csv", examples / "salesforce_history.csv"
    )
    assert report.exit_code == 0, report.errors
    assert report.rows_read == 4 + 13
    # before the first stage change: the first history row's OldValue, from creation on
    early = _at(engine, ACME, "2026-01-15T00:00:00+00:00")
    assert early["stage"] == "prospecting" and early["amount"] == 60000
    assert early["owner_id"] == "0055g00000CCC02AAA" and early["close_date"] == "2026-03-31"
    mid = _at(engine, ACME, "2026-02-10T00:00:00+00:00")
    assert mid["stage"] == "proposal" and mid["amount"] == 85000
    assert (
        mid["owner_id"] == "0055g00000CCC01AAA"
    )  # the id row of the Owner change, not the name row
    assert mid["forecast_category"] == "pipeline"
    late = _at(engine, ACME, "2026-03-10T00:00:00+00:00")
    assert late["stage"] == "negotiation" and late["forecast_category"] == "commit"
    assert late["region"] == "EMEA" and late["primary_competitor"] == "Globex"
    assert _at(engine, NORTHWIND, "2026-01-20T00:00:00+00:00")["stage"] == "negotiation"
    assert _at(engine, NORTHWIND, "2026-02-21T00:00:00+00:00")["stage"] == "closed_won"
    with session_scope(engine) as s:
        before_creation = deal_as_of(
            s, org_id="acme", deal_id=ACME, as_of=datetime(2026, 1, 10, 15, tzinfo=UTC)
        )
        row = s.scalars(
            select(FieldChange).where(FieldChange.source_id == "0175g00000HHH05AAA")
        ).one()
    assert before_creation is None
    assert row.valid_from == row.recorded_at == datetime(2026, 2, 5, 14, 20, tzinfo=UTC)


def test_closed_deal_without_history_closes_at_close_date(
    sqlite_engine: Engine, examples: Path
) -> None:
    _run(
        sqlite_engine,
        examples / "salesforce_opportunities.csv",
        examples / "salesforce_history.csv",
    )
    open_then = _at(sqlite_engine, INITECH, "2026-02-15T00:00:00+00:00")
    assert open_then.get("stage") is None and open_then["amount"] == 30000
    assert _at(sqlite_engine, INITECH, "2026-03-01T12:00:00+00:00")["stage"] == "closed_lost"
    with session_scope(sqlite_engine) as s:
        open_deals = {
            d.deal_id
            for d in deals_as_of(
                s, org_id="acme", as_of=datetime(2026, 2, 1, tzinfo=UTC), include_closed=False
            )
        }
    assert INITECH in open_deals


def test_reimport_with_history_is_a_noop(engine: Engine, examples: Path) -> None:
    opps, hist = examples / "salesforce_opportunities.csv", examples / "salesforce_history.csv"
    first = _run(engine, opps, hist)
    second = _run(engine, opps, hist)
    assert first.inserted["changes"] > 0
    assert sum(second.inserted.values()) == 0
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(FieldChange)) == first.inserted["changes"]


def test_opportunities_without_history_then_history_later(
    sqlite_engine: Engine, examples: Path
) -> None:
    opps, hist = examples / "salesforce_opportunities.csv", examples / "salesforce_history.csv"
    first = _run(sqlite_engine, opps)
    assert first.exit_code == 0
    assert (
        _at(sqlite_engine, ACME, "2026-01-15T00:00:00+00:00")["stage"] == "negotiation"
    )  # assumed
    _run(sqlite_engine, opps, hist)
    # the audited history now decides the stage after each change
    assert _at(sqlite_engine, ACME, "2026-02-10T00:00:00+00:00")["stage"] == "proposal"
    assert _at(sqlite_engine, ACME, "2026-03-10T00:00:00+00:00")["stage"] == "negotiation"


def test_bad_history_rows_are_errors_with_lines(
    sqlite_engine: Engine, examples: Path, tmp_path: Path
) -> None:
    hist = tmp_path / "hist.csv"
    hist.write_text(
        "Id,OpportunityId,Field,OldValue,NewValue,CreatedDate\n"
        "H1,0065g00000AAA04AAA,StageName,Qualification,Needs Analysis,2026-02-20T10:00:00Z\n"
        "H2,0065g00000AAA04AAA,StageName,Needs Analysis,Haggling,2026-02-21T10:00:00Z\n"
        "H3,006UNKNOWN,Amount,1,2,2026-02-21T10:00:00Z\n"
        ",0065g00000AAA04AAA,Amount,1,2,2026-02-21T10:00:00Z\n"
        "H5,0065g00000AAA04AAA,Amount,1,2,not a date\n",
        encoding="utf-8",
    )
    report = _run(sqlite_engine, examples / "salesforce_opportunities.csv", hist)
    assert report.exit_code == 1
    by_line = {e.line: e.reason for e in report.errors if e.file == "hist.csv"}
    assert set(by_line) == {3, 4, 5, 6}
    assert "unknown stage 'Haggling'" in by_line[3] and "Negotiation/Review" in by_line[3]
    assert "'006UNKNOWN'" in by_line[4]
    assert "missing history row id" in by_line[5]
    assert "not a date" in by_line[6]
    globex = make_id("deal", "acme", "0065g00000AAA04AAA")
    assert _at(sqlite_engine, globex, "2026-02-20T12:00:00+00:00")["stage"] == "discovery"


def test_history_missing_columns_is_a_file_level_error(
    sqlite_engine: Engine, examples: Path, tmp_path: Path
) -> None:
    hist = tmp_path / "hist.csv"
    hist.write_text("Id,Field\nH1,StageName\n", encoding="utf-8")
    report = _run(sqlite_engine, examples / "salesforce_opportunities.csv", hist)
    assert report.exit_code == 2 and not report.committed
    assert "OpportunityId" in (report.fatal or "")


def test_custom_stage_map_overrides_defaults(sqlite_engine: Engine, tmp_path: Path) -> None:
    opps = tmp_path / "opps.csv"
    opps.write_text(
        "Id,Name,StageName,Amount,CloseDate,CreatedDate,IsClosed,IsWon\n"
        "006A,Deal A,Discovery Meeting,1000,2026-05-01,2026-01-01T00:00:00Z,false,false\n"
        "006B,Deal B,Prospecting,500,2026-05-01,2026-01-01T00:00:00Z,false,false\n",
        encoding="utf-8",
    )
    mapping = build_mapping({"stages": {"Discovery Meeting": "discovery"}}, base=SALESFORCE_MAPPING)
    report = _run(sqlite_engine, opps, mapping=mapping)
    assert report.exit_code == 0
    with session_scope(sqlite_engine) as s:
        stages = {d.source_id: d.stage for d in deals_as_of(s, org_id="acme", as_of=NOW)}
    assert stages == {"006A": "discovery", "006B": "prospecting"}


@pytest.mark.parametrize("bad", ["Haggling", "closed won-ish"])
def test_unknown_opportunity_stage_names_value_and_allowed(
    sqlite_engine: Engine, tmp_path: Path, bad: str
) -> None:
    opps = tmp_path / "opps.csv"
    opps.write_text(f"Id,Name,StageName\n006A,A,{bad}\n006B,B,Prospecting\n", encoding="utf-8")
    report = _run(sqlite_engine, opps)
    assert [e.line for e in report.errors] == [2]
    assert repr(bad) in report.errors[0].reason and "Id. Decision Makers" in report.errors[0].reason
