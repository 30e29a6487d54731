from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.ids import content_hash, make_id
from memory.importers import (
    ActivityDefaults,
    ImportReport,
    import_activities,
    import_csv,
    load_mapping,
    run_import,
)
from memory.importers.emails import html_to_text
from memory.models import Activity

NOW = datetime(2026, 3, 20, tzinfo=UTC)


@pytest.fixture
def seeded(sqlite_engine: Engine, examples: Path) -> Engine:
    mapping = load_mapping(examples / "deals_mapping.toml")
    report = run_import(
        sqlite_engine,
        lambda s: import_csv(s, examples / "deals.csv", mapping, org_id="acme", now=NOW),
        source="csv",
        org_id="acme",
    )
    assert report.exit_code == 0
    return sqlite_engine


def _run(
    engine: Engine,
    path: Path,
    defaults: ActivityDefaults | None = None,
    domains: tuple[str, ...] = ("seller.test",),
) -> ImportReport:
    return run_import(
        engine,
        lambda s: import_activities(
            s, path, org_id="acme", seller_domains=domains, defaults=defaults, now=NOW
        ),
        source="activities",
        org_id="acme",
    )


def _activities(engine: Engine) -> dict[str, Activity]:
    with session_scope(engine) as s:
        return {a.source_id: a for a in s.scalars(select(Activity)).all()}


def test_folder_of_txt_and_eml(seeded: Engine, examples: Path) -> None:
    report = _run(seeded, examples / "activities")
    assert report.exit_code == 0, report.errors
    assert report.rows_read == 3 and report.inserted["activities"] == 3
    acts = _activities(seeded)
    email = acts["followup-20260304-acme@seller.test"]
    assert email.kind == "email" and email.direction == "outbound"
    assert email.occurred_at == datetime(2026, 3, 4, 8, 30, tzinfo=UTC)
    assert email.deal_id == make_id("deal", "acme", "OPP-1001")
    assert email.account_id == make_id("account", "acme", "ACC-1")
    assert {p["email"]: p["side"] for p in email.participants} == {
        "jane@seller.test": "seller",
        "priya.shah@acme.example": "buyer",
        "tom.lee@acme.example": "buyer",
    }
    assert email.content_hash == content_hash(email.subject, email.body)
    assert email.recorded_at == NOW
    reply = acts["CAF-northwind-0305@mail.northwind.example"]
    assert reply.direction == "inbound"
    assert "<p>" not in reply.body and "cap at 12 months of fees & a 30-day" in reply.body
    assert "margin" not in reply.body  # <style> dropped
    call = next(a for a in acts.values() if a.kind == "call")
    assert call.subject == "Discovery call with Acme operations"
    assert call.body.startswith("Priya confirmed")
    assert call.occurred_at == datetime(2026, 3, 2, 15, tzinfo=UTC)
    priya = next(p for p in call.participants if p["name"] == "Priya Shah")
    assert priya == {
        "name": "Priya Shah",
        "email": "priya.shah@acme.example",
        "title": "VP Operations",
        "side": "buyer",
    }


def test_jsonl(seeded: Engine, examples: Path) -> None:
    report = _run(seeded, examples / "activities.jsonl")
    assert report.exit_code == 0, report.errors
    acts = _activities(seeded)
    assert set(acts) >= {"call-7781", "meet-7782"} and len(acts) == 3
    meeting = acts["meet-7782"]
    assert meeting.occurred_at == datetime(2026, 3, 6, 9, tzinfo=UTC)
    assert [p["side"] for p in meeting.participants] == ["seller", "buyer"]
    call = acts["call-7781"]
    assert call.participants[1]["title"] == "Procurement Lead"


def test_reimport_is_a_noop(seeded: Engine, examples: Path) -> None:
    _run(seeded, examples / "activities")
    _run(seeded, examples / "activities.jsonl")
    again = _run(seeded, examples / "activities")
    again_jsonl = _run(seeded, examples / "activities.jsonl")
    assert again.inserted["activities"] == again_jsonl.inserted["activities"] == 0
    assert again.duplicates["activities"] == again_jsonl.duplicates["activities"] == 3
    assert len(_activities(seeded)) == 6


def test_txt_source_id_does_not_depend_on_the_path(
    seeded: Engine, examples: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "renamed.txt"
    copy.write_bytes((examples / "activities" / "2026-03-02-acme-discovery-call.txt").read_bytes())
    _run(seeded, examples / "activities")
    report = _run(seeded, copy)
    assert report.duplicates["activities"] == 1 and report.inserted["activities"] == 0


def test_jsonl_bad_lines_reported_with_line_numbers(seeded: Engine, tmp_path: Path) -> None:
    path = tmp_path / "acts.jsonl"
    lines = [
        {
            "id": "ok1",
            "deal": "OPP-1002",
            "kind": "call",
            "occurred_at": "2026-03-01T10:00:00Z",
            "body": "fine",
        },
        "{not json",
        {
            "id": "x2",
            "deal": "OPP-9999",
            "kind": "call",
            "occurred_at": "2026-03-01T10:00:00Z",
            "body": "b",
        },
        {
            "id": "x3",
            "deal": "OPP-1002",
            "kind": "telegram",
            "occurred_at": "2026-03-01",
            "body": "b",
        },
        {"id": "x4", "kind": "call", "occurred_at": "2026-03-01", "body": "b"},
        {"id": "x5", "deal": "OPP-1002", "kind": "call", "occurred_at": "last week", "body": "b"},
    ]
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines)
    path.write_text(text + "\n", encoding="utf-8")
    report = _run(seeded, path)
    assert report.exit_code == 1
    by_line = {e.line: e.reason for e in report.errors}
    assert set(by_line) == {2, 3, 4, 5, 6}
    assert "invalid JSON" in by_line[2]
    assert "'OPP-9999' is not in org 'acme'" in by_line[3]
    assert "unknown kind 'telegram'" in by_line[4]
    assert by_line[5].startswith("deal:")
    assert "'last week' is not a date" in by_line[6]
    assert set(_activities(seeded)) == {"ok1"}


def test_txt_without_headers_needs_deal_and_uses_defaults(seeded: Engine, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Quick note: they asked for a discount.\n", encoding="utf-8")
    missing = _run(seeded, note)
    assert missing.exit_code == 2 and "--deal" in missing.errors[0].reason
    when = datetime(2026, 3, 7, 9, tzinfo=UTC)
    report = _run(seeded, note, ActivityDefaults(deal="OPP-1002", occurred_at=when, kind="call"))
    assert report.exit_code == 0
    act = next(iter(_activities(seeded).values()))
    assert (act.kind, act.occurred_at, act.body) == (
        "call",
        when,
        "Quick note: they asked for a discount.",
    )


def test_txt_without_date_falls_back_to_mtime_with_warning(seeded: Engine, tmp_path: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_text("Deal: OPP-1001\n\nNo date here.\n", encoding="utf-8")
    stamp = datetime(2026, 2, 2, 12, tzinfo=UTC).timestamp()
    os.utime(note, (stamp, stamp))
    report = _run(seeded, note)
    assert report.exit_code == 0
    assert any("modification time" in w.reason and w.file == "n.txt" for w in report.warnings)
    assert next(iter(_activities(seeded).values())).occurred_at == datetime(
        2026, 2, 2, 12, tzinfo=UTC
    )


def test_bad_files_in_a_folder_are_row_errors(seeded: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "acts"
    folder.mkdir()
    (folder / "good.txt").write_text(
        "Deal: OPP-1001\nDate: 2026-03-01\nKind: meeting\n\nAgenda agreed.\n", encoding="utf-8"
    )
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03\x04")
    (folder / "empty.eml").write_bytes(b"")
    (folder / "baddate.txt").write_text("Deal: OPP-1001\nDate: someday\n\nText\n", encoding="utf-8")
    (folder / "win.txt").write_bytes(
        "Deal: OPP-1003\nDate: 2026-03-02\n\nCafé, prix 1 200 €\n".encode("cp1252")
    )
    (folder / "photo.png").write_bytes(b"\x89PNG")
    report = _run(seeded, folder)
    assert report.exit_code == 1
    errors = {e.file: e.reason for e in report.errors}
    assert "binary" in errors["binary.txt"] and "empty" in errors["empty.eml"]
    assert "line 2" in errors["baddate.txt"] and "'someday'" in errors["baddate.txt"]
    warned = {w.file: w.reason for w in report.warnings}
    assert "cp1252" in warned["win.txt"] and "skipped" in warned["photo.png"]
    bodies = sorted(a.body for a in _activities(seeded).values())
    assert bodies == ["Agenda agreed.", "Café, prix 1 200 €"]


def test_sides_unknown_without_seller_domain(seeded: Engine, examples: Path) -> None:
    report = _run(seeded, examples / "activities", domains=())
    assert any("--seller-domain" in w.reason for w in report.warnings)
    email = _activities(seeded)["followup-20260304-acme@seller.test"]
    assert email.direction is None and {p["side"] for p in email.participants} == {None}


def test_missing_path_and_empty_folder_are_file_level(seeded: Engine, tmp_path: Path) -> None:
    assert _run(seeded, tmp_path / "nope").exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    report = _run(seeded, empty)
    assert report.exit_code == 2 and "no .txt, .eml or .jsonl" in (report.fatal or "")


def test_html_to_text() -> None:
    assert (
        html_to_text("<p>Hi&nbsp;there</p><ul><li>one</li><li>two</li></ul><script>x()</script>")
        == "Hi there\n\none\n\ntwo"
    )
