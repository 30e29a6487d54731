from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memory.db import create_schema, make_engine, session_scope
from memory.models import Org, User
from tests.unit.preferences.conftest import T0
from tests.unit.preferences.test_edits import DRAFT, EDITED
from ui.cli import build_app

runner = CliRunner()
H = ["--embedder", "hashing", "--json"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.delenv("KEEL_DATABASE_URL", raising=False)
    monkeypatch.delenv("KEEL_QDRANT_URL", raising=False)
    engine = make_engine(f"sqlite:///{tmp_path / 'keel.db'}")
    create_schema(engine)
    with session_scope(engine) as s:
        s.add(Org(id="demo", name="Demo", created_at=T0))
        for uid, role in [("r1", "rep"), ("r2", "rep"), ("r3", "rep"), ("m1", "manager")]:
            s.add(User(id=uid, org_id="demo", name=uid.upper(), email=f"{uid}@x.io", role=role))
    engine.dispose()
    return tmp_path


def _run(*args: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(build_app(), ["prefs", *args, *H])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_correct_list_and_promotion_by_cli(home: Path) -> None:
    doc = _run("correct", "--user", "r1", "no, frame it around cost savings, not speed")
    assert doc["status"] == "learned" and doc["preference"]["kind"] == "framing"
    _run("correct", "--user", "r2@x.io", "frame it around cost savings rather than speed")
    third = _run("correct", "--user", "R3", "emphasise cost savings, not speed")
    assert third["promoted"]["scope"] == "org"
    listed = _run("list", "--user", "r1")
    assert {p["scope"] for p in listed["preferences"]} == {"user", "org"}
    org_id = third["promoted"]["id"]
    refused = runner.invoke(build_app(), ["prefs", "retire", org_id, "--user", "r1", *H])
    assert refused.exit_code != 0 and "managers" in refused.output
    retired = _run("retire", org_id, "--user", "m1", "--reason", "policy")
    assert retired["preference"]["active"] is False
    fact = _run("correct", "--user", "r1", "the amount is 50k not 40k")
    assert fact["status"] == "fact_fix"


def test_learn_edit_by_cli_and_bad_input(home: Path, tmp_path: Path) -> None:
    draft, edited, huge = tmp_path / "d.txt", tmp_path / "e.txt", tmp_path / "huge.txt"
    draft.write_text(DRAFT)
    edited.write_text(EDITED)
    huge.write_text("\n".join(f"+ line {i}" for i in range(10_000)))
    doc = _run("learn-edit", "--user", "r1", "--draft", str(draft), "--edited", str(edited))
    assert doc["status"] == "learned" and doc["applied_now"] == []
    bad = runner.invoke(
        build_app(),
        ["prefs", "learn-edit", "--user", "r1", "--draft", str(draft), "--edited", str(huge), *H],
    )
    assert bad.exit_code != 0 and "10,000 lines" in bad.output and bad.stdout.strip() == ""
    unknown = runner.invoke(build_app(), ["prefs", "list", "--user", "nobody", *H])
    assert unknown.exit_code != 0 and "nobody" in unknown.output
