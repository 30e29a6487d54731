"""``keel train``, ``keel score`` and ``keel eval scoring --csv`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.sim import truth_signals_rows
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from tests.unit.scoring.simworld import world
from ui.cli import build_app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.setenv("KEEL_ORG", "demo")
    monkeypatch.setenv("KEEL_LLM_URL", "http://127.0.0.1:9")  # never reached: --no-llm
    engine = make_engine(f"sqlite:///{tmp_path / 'keel.db'}")
    create_schema(engine)
    w = world()
    with session_scope(engine) as s:
        ingest(s, **w.rows())
        ingest(s, signals=truth_signals_rows(w))
    engine.dispose()
    return tmp_path


def test_score_prints_exactly_the_documented_json(home: Path) -> None:
    end = world().config.end.date().isoformat()
    result = runner.invoke(build_app(), ["score", "--as-of", end, "--json", "--no-llm"])
    assert result.exit_code == 0, result.output
    cards = json.loads(result.stdout)
    assert cards and all(
        set(c) == {"deal_id", "win_probability", "confidence", "dimensions", "model_version"}
        for c in cards
    )
    assert len(cards[0]["dimensions"]) == 8
    one = runner.invoke(
        build_app(), ["score", "--deal", cards[0]["deal_id"], "--as-of", end, "--json", "--no-llm"]
    )
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout) == cards[0]


def test_score_of_a_closed_deal_is_a_clear_error(home: Path) -> None:
    lost = next(d for d in world().truth.deals if d.outcome == "lost")
    result = runner.invoke(build_app(), ["score", "--deal", lost.deal_id, "--json", "--no-llm"])
    assert result.exit_code != 0 and "was not open" in result.stderr


def test_train_reports_a_decision(home: Path) -> None:
    result = runner.invoke(build_app(), ["train", "--json", "--no-refresh"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["org_id"] == "demo" and doc["reason"] and isinstance(doc["promoted"], bool)


def test_eval_csv_bad_input_goes_to_stderr(home: Path) -> None:
    bad = home / "one.csv"
    bad.write_text("Stage,Won\n" + "a,yes\n" * 20)
    result = runner.invoke(
        build_app(),
        [
            "eval",
            "scoring",
            "--csv",
            str(bad),
            "--target",
            "Won",
            "--positive",
            "yes",
            "--llm-sample",
            "0",
            "--json",
        ],
    )
    assert result.exit_code == 2 and result.stdout == "" and "single class" in result.stderr
