from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from memory.db import create_schema, make_engine
from memory.settings import MemorySettings
from tests.unit.agent.fakes import scripted
from tests.unit.tools.world import seed
from ui.cli import build_app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.delenv("KEEL_DATABASE_URL", raising=False)
    engine = make_engine(settings=MemorySettings(home=tmp_path))
    create_schema(engine)
    seed(engine)
    engine.dispose()
    return tmp_path


def _chat(monkeypatch: pytest.MonkeyPatch, model: Any, *args: str) -> Any:
    monkeypatch.setattr("ui.chat_runtime.ChatRuntime.model", lambda self: model)
    return runner.invoke(build_app(), ["chat", *args, "--org", "acme", "--json"])


def test_chat_prints_one_json_document_with_tool_calls(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = scripted({"tool": "lookup_deal", "deal": "northwind renewal"}, "Proposal at $135,000.")
    result = _chat(monkeypatch, model, "how is the northwind renewal?", "--user", "r1@x.test")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["answer"] == "Proposal at $135,000." and doc["user_id"] == "r1"
    assert doc["tool_calls"][0]["name"] == "lookup_deal" and doc["tool_calls"][0]["status"] == "ok"
    assert doc["thread_id"] == "cli-r1" and (home / "checkpoints.sqlite").exists()


def test_chat_thread_continues_across_invocations(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _chat(
        monkeypatch,
        scripted({"tool": "lookup_deal", "deal": "northwind renewal"}, "ok"),
        "northwind renewal",
        "--user",
        "r1",
        "--thread",
        "T",
    )
    second = _chat(
        monkeypatch,
        scripted({"tool": "deal_score", "deal": "it"}),
        "its score?",
        "--user",
        "r1",
        "--thread",
        "T",
    )
    doc = json.loads(second.stdout)
    assert doc["tool_calls"][0]["deal_name"] == "Northwind renewal"


def test_unknown_user_is_a_clear_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _chat(monkeypatch, scripted("x"), "hi", "--user", "ghost")
    assert result.exit_code != 0 and "no user 'ghost'" in result.stderr and result.stdout == ""


def test_users_lists_logins(home: Path) -> None:
    result = runner.invoke(build_app(), ["users", "--org", "acme", "--json"])
    doc = json.loads(result.stdout)
    assert {u["login"] for u in doc["users"]} >= {"r1@x.test", "m1@x.test"}


def test_serve_refuses_an_empty_org(home: Path) -> None:
    result = runner.invoke(build_app(), ["serve", "--org", "nobody", "--port", "1"])
    assert result.exit_code != 0 and "keel demo" in result.stderr
