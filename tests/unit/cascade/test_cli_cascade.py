from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli import build_app

runner = CliRunner()


def invoke(*args: str) -> dict:
    result = runner.invoke(build_app(), list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_queue_then_worker_then_queue(home: Path) -> None:
    before = invoke("queue", "--json")
    assert before["depth"] == 6 and before["levels"]["deal"]["ready"] == 6
    assert before["levels"]["deal"]["lag_s"] >= 0 and before["recomputes"] == {}

    run = invoke("worker", "--once", "--json")
    assert run["queue_depth"] == 0
    assert {k: v["recomputes"] for k, v in run["levels"].items()} == {
        "deal": 6,
        "account": 3,
        "pipeline": 1,
    }

    after = invoke("queue", "--json", "--requeue-dead")
    assert after["depth"] == 0 and after["requeued"] == 0 and after["dead_letters"]["count"] == 0
    assert after["recomputes"]["account"]["recomputes"] == 3


def test_readable_output_without_json(home: Path) -> None:
    result = runner.invoke(build_app(), ["queue"])
    assert result.exit_code == 0 and "dead letters: 0" in result.stdout


@pytest.mark.parametrize("name", [["worker"], ["queue"], ["bench", "cascade"]])
def test_commands_take_json_and_have_help(name: list[str]) -> None:
    result = runner.invoke(build_app(), [*name, "--help"])
    assert result.exit_code == 0 and "--json" in result.stdout
