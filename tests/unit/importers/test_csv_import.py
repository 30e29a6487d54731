from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from memory.asof import deal_as_of, deals_as_of
from memory.db import session_scope
from memory.ids import make_id
from memory.importers import ImportReport, import_csv, load_mapping, run_import
from memory.importers.mapping import ImportMapping, build_mapping
from memory.ingest import ingest
from memory.models import Account, Deal, FieldChange, Org
from tests.factories import user

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

HEADER = "id,name,account,stage,amount,close,owner,status,modified\n"
MAPPING = {
    "date_formats": ["%Y-%m-%d", "%d/%m/%Y"],
    "columns": {
        "deal_id": "id",
        "name": "name",
        "account_name": "account",
        "stage": "stage",
        "amount": "amount",
        "close_date": "close",
        "owner": "owner",
        "status": "status",
        "valid_as_of": "modified",
    },
    "stages": {"Discovery Call": "discovery", "Proposal Sent": "proposal", "Won": "closed_won"},
}


def _mapping(**extra: object) -> ImportMapping:
    return build_mapping({**MAPPING, **extra})


def _run(
    engine: Engine,
    path: Path,
    mapping: ImportMapping,
    *,
    strict: bool = False,
    as_of: datetime | None = None,
    now: datetime = NOW,
) -> ImportReport:
    return run_import(
        engine,
        lambda s: import_csv(s, path, mapping, org_id="acme", as_of=as_of, now=now),
        source="csv",
        org_id="acme",
        strict=strict,
    )


def _csv(tmp_path: Path, rows: str, name: str = "deals.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + rows, encoding="utf-8")
    return path


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_example_file_imports_every_field(sqlite_engine: Engine, examples: Path) -> None:
    mapping = load_mapping(examples / "deals_mapping.toml")
    report = _run(sqlite_engine, examples / "deals.csv", mapping)
    assert report.exit_code == 0, report.errors
    assert report.rows_read == 5
    assert report.inserted["deals"] == 5 and report.inserted["accounts"] == 4
    with session_scope(sqlite_engine) as s:
        states = {d.source_id: d for d in deals_as_of(s, org_id="acme", as_of=NOW)}
        org = s.get(Org, "acme")
    assert org is not None
    acme = states["OPP-1001"]
    assert acme.stage == "discovery" and acme.amount == 48000.0
    assert acme.fields["notes"] == "Champion is the VP Ops.\nBudget confirmed for Q2."
    assert acme.fields["seats"] == 120.0 and acme.fields["lead_source"] == "Webinar"
    assert states["OPP-1002"].close_date.isoformat() == "2026-05-31"  # d/m/Y format
    assert states["OPP-1003"].forecast_category == "best_case"  # mapped "Upside"
    assert states["OPP-1003"].fields["currency"] == "EUR"
    assert states["OPP-1004"].stage == "closed_won"
    assert states["OPP-1005"].stage == "closed_lost"  # status Lost overrides stage Demo
    assert acme.account_id == make_id("account", "acme", "ACC-1")
    # valid from the row's Last Modified (2026-03-02T10:15Z), not before
    with session_scope(sqlite_engine) as s:
        before = deal_as_of(
            s, org_id="acme", deal_id=acme.deal_id, as_of=datetime(2026, 3, 2, 10, tzinfo=UTC)
        )
    assert before is not None and before.stage is None


def test_reimport_is_a_noop(engine: Engine, examples: Path) -> None:
    mapping = load_mapping(examples / "deals_mapping.toml")
    first = _run(engine, examples / "deals.csv", mapping)
    changes = _count(engine, FieldChange)
    second = _run(engine, examples / "deals.csv", mapping, now=datetime(2026, 4, 1, tzinfo=UTC))
    assert first.inserted["changes"] == changes > 0
    assert sum(second.inserted.values()) == 0
    assert second.duplicates["deals"] == 5
    assert _count(engine, FieldChange) == changes
    assert second.exit_code == 0


def test_snapshot_writes_only_changed_fields(sqlite_engine: Engine, tmp_path: Path) -> None:
    mapping = _mapping()
    _run(
        sqlite_engine,
        _csv(tmp_path, "D1,Deal one,Acme,Discovery Call,1000,2026-04-01,u1,,2026-03-01\n"),
        mapping,
    )
    later = _csv(
        tmp_path, "D1,Deal one,Acme,Proposal Sent,1000,2026-04-01,u1,,2026-03-08\n", "later.csv"
    )
    report = _run(sqlite_engine, later, mapping)
    assert report.inserted["changes"] == 1
    with session_scope(sqlite_engine) as s:
        rows = s.execute(
            select(FieldChange.field, FieldChange.valid_from).where(  # type: ignore[call-overload]
                FieldChange.valid_from == datetime(2026, 3, 8, tzinfo=UTC)
            )
        ).all()
        deal_id = make_id("deal", "acme", "D1")
        mid = deal_as_of(s, org_id="acme", deal_id=deal_id, as_of=datetime(2026, 3, 5, tzinfo=UTC))
        end = deal_as_of(s, org_id="acme", deal_id=deal_id, as_of=datetime(2026, 3, 9, tzinfo=UTC))
    assert [r[0] for r in rows] == ["stage"]
    assert mid is not None and mid.stage == "discovery"
    assert end is not None and end.stage == "proposal"


def test_same_deal_at_two_instants_in_one_file(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "D1,Deal one,Acme,Proposal Sent,1000,,,,2026-03-08\n"
        "D1,Deal one,Acme,Discovery Call,1000,,,,2026-03-01\n",
    )
    report = _run(sqlite_engine, path, _mapping())
    assert report.exit_code == 0
    with session_scope(sqlite_engine) as s:
        stages = s.scalars(select(FieldChange.value).where(FieldChange.field == "stage")).all()
    assert sorted(stages) == ["discovery", "proposal"]
    assert report.inserted["changes"] == 4  # name+stage+amount at t1, stage at t2


def test_bad_rows_are_reported_and_good_rows_kept(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        'D1,"Deal\none",Acme,Discovery Call,"$1,000",2026-04-01,u1,,2026-03-01\n'  # lines 2-3
        "D2,Deal two,Acme,Closing Soon,1000,2026-04-01,u1,,2026-03-01\n"  # 4 unknown stage
        "D3,Deal three,Acme,Won,12abc,2026-04-01,u1,,2026-03-01\n"  # 5 bad amount
        "D4,Deal four,Acme,Won,1000,2026-31-12,u1,,2026-03-01\n"  # 6 bad date
        ",No id,Acme,Won,1000,2026-04-01,u1,,2026-03-01\n"  # 7 missing id
        "D6,Deal six,Acme,Won,1000,2026-04-01,u1,Maybe,2026-03-01\n"  # 8 unknown status
        "D7,Deal seven,Globex,Won,2000,01/04/2026,u1,Won,2026-03-01\n",  # 9 good
    )
    report = _run(sqlite_engine, path, _mapping())
    assert report.exit_code == 1 and report.committed
    by_line = {e.line: e.reason for e in report.errors}
    assert set(by_line) == {4, 5, 6, 7, 8}
    assert all(e.file == "deals.csv" for e in report.errors)
    assert "'Closing Soon'" in by_line[4] and "Proposal Sent" in by_line[4]
    assert "'12abc' is not an amount" in by_line[5] and "'amount'" in by_line[5]
    assert "'2026-31-12' is not a date" in by_line[6]
    assert "missing deal id" in by_line[7]
    assert "unknown status 'Maybe'" in by_line[8]
    assert report.rows_read == 7 and report.rows_rejected == 5
    with session_scope(sqlite_engine) as s:
        kept = {d.source_id: d for d in deals_as_of(s, org_id="acme", as_of=NOW)}
    assert set(kept) == {"D1", "D7"}
    assert kept["D1"].name == "Deal\none" and kept["D1"].amount == 1000.0
    assert kept["D7"].stage == "closed_won" and kept["D7"].close_date.isoformat() == "2026-04-01"


def test_strict_aborts_with_nothing_written(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path, "D1,a,Acme,Discovery Call,1,,,,2026-03-01\nD2,b,Acme,Nope,1,,,,2026-03-01\n"
    )
    report = _run(sqlite_engine, path, _mapping(), strict=True)
    assert report.exit_code == 2 and not report.committed
    assert report.fatal is not None and "--strict" in report.fatal
    assert len(report.errors) == 1 and report.errors[0].line == 3
    assert _count(sqlite_engine, Deal) == 0 and _count(sqlite_engine, Org) == 0


def test_all_rows_bad_writes_nothing(sqlite_engine: Engine, tmp_path: Path) -> None:
    report = _run(sqlite_engine, _csv(tmp_path, "D1,a,Acme,Nope,1,,,,2026-03-01\n"), _mapping())
    assert report.exit_code == 2 and not report.committed
    assert _count(sqlite_engine, Org) == 0


@pytest.mark.parametrize(
    "content, reason",
    [(b"", "empty"), (b"\x00\x01\x02\x03binary\x00", "binary")],
)
def test_file_level_failures_write_nothing(
    sqlite_engine: Engine, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    report = _run(sqlite_engine, path, _mapping())
    assert report.exit_code == 2
    assert report.fatal is not None and reason in report.fatal and "bad.csv" in report.fatal
    assert _count(sqlite_engine, Org) == 0


def test_missing_mapped_column_is_a_file_level_error(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path, "D1,a\n", header="id,name\n")
    report = _run(sqlite_engine, path, _mapping())
    assert report.exit_code == 2
    assert (
        report.fatal is not None and "'stage'" in report.fatal and "columns found" in report.fatal
    )


def test_truncated_file_keeps_complete_rows(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path, "D1,a,Acme,Discovery Call,1,,,,2026-03-01\nD2,b,Acme,Won,5,2026-0")
    report = _run(sqlite_engine, path, _mapping())
    assert report.exit_code == 1
    assert report.errors[0].line == 3 and "truncated" in report.errors[0].reason
    assert _count(sqlite_engine, Deal) == 1


def test_cp1252_file_imports_with_a_warning(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "win.csv"
    path.write_bytes(
        (HEADER + "D1,Société Générale,Café Crème,Won,€1.500,,,,2026-03-01\n").encode("cp1252")
    )
    report = _run(sqlite_engine, path, _mapping(decimal=","))
    assert report.exit_code == 0
    assert any("cp1252" in w.reason and w.file == "win.csv" for w in report.warnings)
    with session_scope(sqlite_engine) as s:
        state = deals_as_of(s, org_id="acme", as_of=NOW)[0]
        account = s.scalars(select(Account)).one()
    assert state.name == "Société Générale" and state.amount == 1500.0
    assert account.name == "Café Crème"


def test_owners_map_to_known_users(sqlite_engine: Engine, tmp_path: Path) -> None:
    with session_scope(sqlite_engine) as s:
        ingest(
            s,
            orgs=[Org(id="acme", name="Acme", created_at=NOW)],
            users=[user(uid="u_jane", email="Jane@Seller.test", name="Jane Doe")],
        )
    path = _csv(
        tmp_path,
        "D1,a,Acme,Won,1,,jane@seller.test,,2026-03-01\n"
        "D2,b,Acme,Won,1,,Jane Doe,,2026-03-01\n"
        "D3,c,Acme,Won,1,,crm-user-9,,2026-03-01\n",
    )
    report = _run(sqlite_engine, path, _mapping())
    with session_scope(sqlite_engine) as s:
        owners = {d.source_id: d.owner_id for d in deals_as_of(s, org_id="acme", as_of=NOW)}
    assert owners == {"D1": "u_jane", "D2": "u_jane", "D3": "crm-user-9"}
    assert any("crm-user-9" in w.reason for w in report.warnings)


def test_snapshot_date_from_cli_when_no_valid_as_of_column(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    mapping = build_mapping({"columns": {"deal_id": "id", "stage": "stage"}})
    path = _csv(tmp_path, "D1,qualification\n", header="id,stage\n")
    as_of = datetime(2026, 2, 1, tzinfo=UTC)
    report = _run(sqlite_engine, path, mapping, as_of=as_of)
    with session_scope(sqlite_engine) as s:
        change = s.scalars(select(FieldChange)).one()
    assert change.valid_from == as_of and change.recorded_at == NOW
    assert report.warnings == []


def test_conflicting_duplicate_rows_are_errors(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "D1,a,Acme,Won,1,,,,2026-03-01\nD1,a,Acme,Won,2,,,,2026-03-01\nD1,a,Acme,Won,1,,,,2026-03-01\n",
    )
    report = _run(sqlite_engine, path, _mapping())
    assert [e.line for e in report.errors] == [3]
    assert "already appears on line 2" in report.errors[0].reason


def test_unexpected_failure_rolls_back_everything(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import memory.importers.csv_mapped as module

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, "ingest", boom)
    report = _run(sqlite_engine, _csv(tmp_path, "D1,a,Acme,Won,1,,,,2026-03-01\n"), _mapping())
    assert report.exit_code == 2 and "disk on fire" in (report.fatal or "")
    assert _count(sqlite_engine, Org) == 0  # the org insert before it was rolled back too


def test_large_file_uses_batched_queries(sqlite_engine: Engine, tmp_path: Path) -> None:
    rows = "".join(
        f"D{i},Deal {i},Acc {i % 50},Discovery Call,{i},,,,2026-03-01\n" for i in range(3000)
    )
    path = _csv(tmp_path, rows)
    _run(sqlite_engine, path, _mapping())
    statements: list[str] = []
    event.listen(sqlite_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    report = _run(sqlite_engine, path, _mapping(), now=datetime(2026, 4, 1, tzinfo=UTC))
    assert report.unchanged == 3000 * 5 and sum(report.inserted.values()) == 0  # 5 mapped fields
    assert len(statements) < 60, len(statements)  # bulk reads in chunks, not one per row
