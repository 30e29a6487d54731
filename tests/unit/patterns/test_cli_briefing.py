"""``keel patterns`` and ``keel brief`` end to end on a small simulated org."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli import build_app

runner = CliRunner()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("keel")
    mp = pytest.MonkeyPatch()
    mp.setenv("KEEL_HOME", str(home))
    mp.delenv("KEEL_DATABASE_URL", raising=False)
    out = runner.invoke(build_app(), ["demo", "--reps", "4", "--deals", "240", "--json"])
    assert out.exit_code == 0, out.output
    yield home
    mp.undo()


def test_patterns_json_has_statistics(seeded: Path) -> None:
    out = runner.invoke(build_app(), ["patterns", "--json", "--all"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["closed_deals"] > 100 and doc["tests"] == len(doc["patterns"])
    p = doc["patterns"][0]
    for key in (
        "n_pattern",
        "rate_pattern",
        "risk_ratio_ci95",
        "difference_ci95",
        "p_value",
        "q_value",
    ):
        assert key in p
    assert all(0 <= x["q_value"] <= 1 for x in doc["patterns"])
    assert doc["version"].startswith("p1-")


@pytest.mark.parametrize(("ref", "kind"), [("U003", "rep"), ("U001", "team")])
def test_brief_json_for_a_rep_and_a_manager(seeded: Path, ref: str, kind: str) -> None:
    out = runner.invoke(build_app(), ["brief", "--rep", ref, "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["kind"] == kind and doc["text"].startswith("Good morning")
    assert doc["open_deals"] > 0
    assert len(doc["items"]) <= 3
    assert doc["all_quiet"] == (not doc["items"])


def test_brief_unknown_rep_fails_cleanly(seeded: Path) -> None:
    out = runner.invoke(build_app(), ["brief", "--rep", "nobody", "--json"])
    assert out.exit_code != 0 and out.stdout == ""
    assert "no user 'nobody'" in out.stderr
