from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from memory.asof import deal_as_of, deals_as_of
from memory.db import session_scope
from memory.ids import make_id
from memory.importers import ImportReport, import_hubspot, run_import

NOW = datetime(2026, 3, 20, tzinfo=UTC)


def _run(engine: Engine, path: Path, as_of: datetime | None = None) -> ImportReport:
    return run_import(
        engine,
        lambda s: import_hubspot(s, path, org_id="acme", as_of=as_of, now=NOW),
        source="hubspot",
        org_id="acme",
    )


def test_example_export(sqlite_engine: Engine, examples: Path) -> None:
    report = _run(sqlite_engine, examples / "hubspot_deals.csv")
    assert report.exit_code == 0, report.errors
    with session_scope(sqlite_engine) as s:
        states = {d.source_id: d for d in deals_as_of(s, org_id="acme", as_of=NOW)}
    assert {k: v.stage for k, v in states.items()} == {
        "9876543201": "prospecting",  # internal id appointmentscheduled
        "9876543202": "negotiation",  # label "Contract Sent"
        "9876543203": "proposal",  # "Decision Maker Bought-In"
        "9876543204": "closed_won",  # "Closed Won (Sales Pipeline)"
        "9876543205": "closed_lost",
    }
    stark = states["9876543202"]
    assert stark.amount == 125000.0 and stark.owner_id == "Omar Ray"
    assert stark.fields["pipeline"] == "Sales Pipeline"
    assert stark.fields["deal_type"] == "existingbusiness"
    assert stark.fields["number_of_associated_contacts"] == "5"
    assert states["9876543203"].forecast_category == "best_case"
    assert states["9876543205"].forecast_category == "omitted"  # "Not forecasted"
    # valid from "Last Modified Date" (naive, taken as UTC), created at "Create Date"
    deal_id = make_id("deal", "acme", "9876543202")
    with session_scope(sqlite_engine) as s:
        before = deal_as_of(
            s, org_id="acme", deal_id=deal_id, as_of=datetime(2026, 3, 6, 11, tzinfo=UTC)
        )
        after = deal_as_of(
            s, org_id="acme", deal_id=deal_id, as_of=datetime(2026, 3, 6, 11, 6, tzinfo=UTC)
        )
    assert before is not None and before.stage is None
    assert before.created_at == datetime(2025, 12, 10, 9, tzinfo=UTC)
    assert after is not None and after.stage == "negotiation"


def test_reimport_is_a_noop(sqlite_engine: Engine, examples: Path) -> None:
    _run(sqlite_engine, examples / "hubspot_deals.csv")
    second = _run(sqlite_engine, examples / "hubspot_deals.csv")
    assert sum(second.inserted.values()) == 0 and second.duplicates["deals"] == 5


def test_unknown_stage_and_missing_id(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "hs.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Amount\n"
        "1,Good,qualifiedtobuy,100\n"
        "2,Custom pipeline,Onboarding Call,100\n"
        ",No id,closedwon,100\n",
        encoding="utf-8",
    )
    report = _run(sqlite_engine, path, as_of=datetime(2026, 3, 1, tzinfo=UTC))
    assert report.exit_code == 1
    by_line = {e.line: e.reason for e in report.errors}
    assert "unknown stage 'Onboarding Call'" in by_line[3] and "qualifiedtobuy" in by_line[3]
    assert "missing deal id" in by_line[4] and "'Record ID'" in by_line[4]
    with session_scope(sqlite_engine) as s:
        assert [d.source_id for d in deals_as_of(s, org_id="acme", as_of=NOW)] == ["1"]
