from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from ui.cli import build_app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.delenv("KEEL_DATABASE_URL", raising=False)
    return tmp_path


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for name, cmd in group.commands.items():
        out.append((f"{prefix}{name}", cmd))
        if hasattr(cmd, "commands"):  # a group (typer may ship its own click)
            out.extend(_commands(cmd, f"{prefix}{name} "))
    return out


def test_every_command_has_help() -> None:
    root = get_command(build_app())
    assert len(_commands(root)) >= 4
    missing = [name for name, cmd in _commands(root) if not (cmd.help or "").strip()]
    assert missing == []


@pytest.mark.parametrize("name", ["rewind", "timeline", "demo", "bench store"])
def test_reporting_commands_take_json(name: str) -> None:
    root = get_command(build_app())
    commands = dict(_commands(root))
    assert "--json" in {opt for p in commands[name].params for opt in p.opts}


def test_demo_rewind_timeline_json(home: Path) -> None:
    app = build_app()
    seeded = runner.invoke(app, ["demo", "--reps", "3", "--deals", "30", "--json"])
    assert seeded.exit_code == 0, seeded.output
    doc = json.loads(seeded.stdout)
    assert doc["seeded"] is True and doc["ingest"]["inserted"]["deals"] == 30
    assert Path(doc["truth_path"]).exists()

    again = runner.invoke(app, ["demo", "--reps", "3", "--deals", "30", "--if-empty", "--json"])
    assert json.loads(again.stdout)["seeded"] is False

    pipe = json.loads(runner.invoke(app, ["rewind", "--as-of", "today", "--json"]).stdout)
    assert pipe["open_deals"] == len(pipe["deals"]) == doc["open_deals"]
    past = json.loads(runner.invoke(app, ["rewind", "--as-of", "2000-01-01", "--json"]).stdout)
    assert past["open_deals"] == 0

    deal = pipe["deals"][0]
    tl = runner.invoke(app, ["timeline", "--deal", deal["source_id"], "--json"])
    assert tl.exit_code == 0
    events = json.loads(tl.stdout)["events"]
    assert events[0]["kind"] == "created"
    assert any(e["field"] == "stage" for e in events)

    one = runner.invoke(app, ["rewind", "--as-of", "now", "--deal", deal["name"], "--json"])
    assert json.loads(one.stdout)["deal"]["deal_id"] == deal["deal_id"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["rewind", "--as-of", "31/12/2026"], "invalid --as-of"),
        (["timeline", "--deal", "no such deal at all"], "no deal"),
    ],
)
def test_bad_input_exits_nonzero_with_message(home: Path, args: list[str], message: str) -> None:
    result = runner.invoke(build_app(), args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert result.stdout == ""
