from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from memory.briefing_store import latest_patterns
from memory.db import session_scope
from memory.derived import AccountRollup, DealRollup, PipelineRollup
from memory.models import Deal
from scoring.registry import model_rows
from ui.cli import build_app
from ui.cliutil import open_store
from ui.commands.demo_steps import Skip, run_step

runner = CliRunner()
SMALL = ["demo", "--deals", "120", "--reps", "4", "--months", "12", "--json"]


def _use_home(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("KEEL_HOME", str(home))
    mp.delenv("KEEL_DATABASE_URL", raising=False)
    # 120 simulated deals close fewer than the default 50 won / 50 lost a model needs.
    mp.setenv("KEEL_MIN_WON", "10")
    mp.setenv("KEEL_MIN_LOST", "10")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """One small demo org for the module (seeding takes seconds)."""
    home = tmp_path_factory.mktemp("keel")
    with pytest.MonkeyPatch.context() as mp:
        _use_home(mp, home)
        result = runner.invoke(build_app(), SMALL)
        assert result.exit_code == 0, result.output
        yield home, json.loads(result.stdout)


@pytest.fixture
def home(seeded: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Path:
    _use_home(monkeypatch, seeded[0])
    return seeded[0]


def _count(model: Any, org_id: str = "demo") -> int:
    with session_scope(open_store()) as session:
        return int(
            session.scalar(select(func.count()).select_from(model).where(model.org_id == org_id))
            or 0
        )


def test_every_step_runs_once_and_prints_a_timed_line(seeded: tuple[Path, dict[str, Any]]) -> None:
    doc = seeded[1]
    assert doc["seeded"] is True
    assert [(s["name"], s["status"]) for s in doc["steps"]] == [
        ("train", "ok"),
        ("cascade", "ok"),
        ("patterns", "ok"),
    ]
    assert all(s["seconds"] >= 0 and s["summary"] for s in doc["steps"])


def test_a_model_is_trained_on_the_demo_org_and_registered(
    home: Path, seeded: tuple[Path, dict[str, Any]]
) -> None:
    train = seeded[1]["steps"][0]["detail"]
    assert train["trained"] is True and train["n_won"] >= 10 and train["n_lost"] >= 10
    with session_scope(open_store()) as session:
        rows = model_rows(session, org_id="demo")
    assert [r.version for r in rows] == ["demo-v1"]
    assert rows[0].kind == "org" and rows[0].status in {"promoted", "rejected"}
    assert rows[0].artifact


def test_the_cascade_leaves_scored_roll_ups_and_an_empty_queue(home: Path) -> None:
    assert _count(DealRollup) == _count(Deal) == 120
    assert _count(AccountRollup) > 0 and _count(PipelineRollup) == 1
    with session_scope(open_store()) as session:
        open_rows = list(session.scalars(select(DealRollup).where(DealRollup.is_open)))  # type: ignore[arg-type]
    assert open_rows and all(r.score is not None and r.model_version for r in open_rows)
    queue = json.loads(runner.invoke(build_app(), ["queue", "--json"]).stdout)
    assert queue["depth"] == 0 and queue["dead_letters"]["count"] == 0


def test_a_pattern_run_is_stored(home: Path, seeded: tuple[Path, dict[str, Any]]) -> None:
    step = seeded[1]["steps"][2]["detail"]
    with session_scope(open_store()) as session:
        run = latest_patterns(session, org_id="demo")
        assert run is not None
        assert run.version == step["version"]
        assert run.report["closed_deals"] == step["closed_deals"] > 0


def test_score_works_right_after_demo(home: Path) -> None:
    result = runner.invoke(build_app(), ["score", "--no-llm", "--json"])
    assert result.exit_code == 0, result.output
    cards = json.loads(result.stdout)
    assert cards and all(0.0 < c["win_probability"] < 1.0 for c in cards)


def test_if_empty_skips_steps_whose_output_exists(home: Path) -> None:
    result = runner.invoke(build_app(), [*SMALL, "--if-empty"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["seeded"] is False
    assert {s["name"]: s["status"] for s in doc["steps"]} == {
        "train": "skipped",
        "cascade": "ok",
        "patterns": "skipped",
    }
    with session_scope(open_store()) as session:
        assert len(model_rows(session, org_id="demo")) == 1


def test_a_failing_step_keeps_the_seed_and_the_other_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_home(monkeypatch, tmp_path)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("training exploded")

    monkeypatch.setattr("scoring.retrain.train_and_promote", broken)
    result = runner.invoke(build_app(), ["demo", "--deals", "40", "--reps", "2", "--json"])
    assert result.exit_code == 0, result.output
    steps = {s["name"]: s for s in json.loads(result.stdout)["steps"]}
    assert steps["train"]["status"] == "failed"
    assert "RuntimeError: training exploded" in steps["train"]["detail"]["error"]
    assert steps["cascade"]["status"] == steps["patterns"]["status"] == "ok"
    assert _count(Deal) == _count(DealRollup) == 40


@pytest.mark.parametrize(
    "fn, status, shown",
    [
        (lambda: ("did it", {"n": 1}), "ok", "did it"),
        (lambda: (_ for _ in ()).throw(Skip("already there")), "skipped", "skipped: already"),
        (lambda: 1 / 0, "failed", "FAILED: ZeroDivisionError"),
    ],
)
def test_run_step_prints_one_timed_line(fn: Any, status: str, shown: str) -> None:
    console = Console(record=True, width=40)
    result = run_step("step", fn, console)
    assert result.status == status
    text = console.export_text()
    assert text.count("\n") == 1 and text.startswith("step (") and shown in text
