from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ui.commands.importing import register

runner = CliRunner()


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("KEEL_DATABASE_URL", f"sqlite:///{tmp_path / 'keel.db'}")
    monkeypatch.setenv("KEEL_ORG", "cli-org")
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Test root."""

    register(root)
    return root


def _json(args: list[str], app: typer.Typer, code: int) -> dict[str, Any]:
    result = runner.invoke(app, args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1  # exactly one JSON document, nothing else on stdout
    doc: dict[str, Any] = json.loads(lines[0])
    return doc


def test_csv_json_then_reimport(app: typer.Typer, examples: Path) -> None:
    args = [
        "import",
        "csv",
        str(examples / "deals.csv"),
        "--mapping",
        str(examples / "deals_mapping.toml"),
        "--json",
    ]
    first = _json(args, app, 0)
    assert first["org_id"] == "cli-org" and first["inserted"]["deals"] == 5 and first["committed"]
    second = _json(args, app, 0)
    assert second["inserted"] == {} and second["duplicates"]["deals"] == 5


def test_row_errors_exit_1_with_error_list(
    app: typer.Typer, examples: Path, tmp_path: Path
) -> None:
    path = tmp_path / "d.csv"
    lines = (examples / "deals.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("Proposal Sent", "Proposal Snet")  # OPP-1002 on line 4
    path.write_text("".join(lines), encoding="utf-8")
    doc = _json(
        [
            "import",
            "csv",
            str(path),
            "--mapping",
            str(examples / "deals_mapping.toml"),
            "--json",
            "--org",
            "x",
        ],
        app,
        1,
    )
    assert doc["errors"] == [{"file": "d.csv", "line": 4, "reason": doc["errors"][0]["reason"]}]
    assert "'Proposal Snet'" in doc["errors"][0]["reason"]
    assert doc["inserted"]["deals"] == 4 and doc["rows_rejected"] == 1


def test_strict_exits_2(app: typer.Typer, examples: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        (examples / "deals.csv").read_text(encoding="utf-8").replace("Negotiation", "Nego"),
        encoding="utf-8",
    )
    doc = _json(
        [
            "import",
            "csv",
            str(path),
            "--mapping",
            str(examples / "deals_mapping.toml"),
            "--json",
            "--strict",
        ],
        app,
        2,
    )
    assert doc["committed"] is False and doc["inserted"] == {} and "--strict" in doc["fatal"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["import", "hubspot", "missing.csv"], "not found"),
        (["import", "csv", "{ex}/deals.csv", "--mapping", "{ex}/deals.csv"], "invalid TOML"),
        (
            [
                "import",
                "csv",
                "{ex}/deals.csv",
                "--mapping",
                "{ex}/deals_mapping.toml",
                "--as-of",
                "soon",
            ],
            "--as-of",
        ),
        (["import", "activities", "{ex}/deals.csv"], "expected a folder"),
    ],
)
def test_file_level_failures_exit_2_with_one_json_doc(
    app: typer.Typer, examples: Path, args: list[str], message: str
) -> None:
    doc = _json([a.replace("{ex}", str(examples)) for a in args] + ["--json"], app, 2)
    assert message in doc["fatal"] and doc["ok"] is False


def test_salesforce_and_activities(app: typer.Typer, examples: Path) -> None:
    sf = _json(
        [
            "import",
            "salesforce",
            str(examples / "salesforce_opportunities.csv"),
            "--history",
            str(examples / "salesforce_history.csv"),
            "--json",
            "--org",
            "o",
        ],
        app,
        0,
    )
    assert sf["inserted"]["deals"] == 4 and sf["rows_read"] == 17
    hs = _json(
        ["import", "hubspot", str(examples / "hubspot_deals.csv"), "--json", "--org", "o"], app, 0
    )
    assert hs["inserted"]["deals"] == 5
    _json(
        [
            "import",
            "csv",
            str(examples / "deals.csv"),
            "--mapping",
            str(examples / "deals_mapping.toml"),
            "--json",
            "--org",
            "o",
        ],
        app,
        0,
    )
    acts = _json(
        [
            "import",
            "activities",
            str(examples / "activities"),
            "--seller-domain",
            "seller.test",
            "--json",
            "--org",
            "o",
        ],
        app,
        0,
    )
    assert acts["inserted"]["activities"] == 3 and acts["warnings"] == []


def test_activities_defaults_from_options(app: typer.Typer, examples: Path, tmp_path: Path) -> None:
    _json(
        [
            "import",
            "csv",
            str(examples / "deals.csv"),
            "--mapping",
            str(examples / "deals_mapping.toml"),
            "--json",
        ],
        app,
        0,
    )
    note = tmp_path / "note.txt"
    note.write_text("Called Priya, she is out until Monday.\n", encoding="utf-8")
    doc = _json(
        [
            "import",
            "activities",
            str(note),
            "--deal",
            "OPP-1001",
            "--date",
            "2026-03-09",
            "--kind",
            "call",
            "--json",
        ],
        app,
        0,
    )
    assert doc["inserted"]["activities"] == 1


def test_human_output_and_stderr(app: typer.Typer, examples: Path) -> None:
    result = runner.invoke(
        app,
        [
            "import",
            "csv",
            str(examples / "deals.csv"),
            "--mapping",
            str(examples / "deals_mapping.toml"),
        ],
    )
    assert result.exit_code == 0
    assert "deals inserted" in result.stdout
    assert "owner value(s) match no Keel user" in result.stderr
    assert "owner value" not in result.stdout


@pytest.mark.parametrize("command", ["csv", "salesforce", "hubspot", "activities"])
def test_every_command_has_help(app: typer.Typer, command: str) -> None:
    result = runner.invoke(app, ["import", command, "--help"])
    assert result.exit_code == 0 and "--json" in result.stdout and "--org" in result.stdout


def test_auto_registered_in_the_keel_cli() -> None:
    from ui.cli import build_app

    result = runner.invoke(build_app(), ["import", "--help"])
    assert result.exit_code == 0 and "salesforce" in result.stdout


def test_unusable_database_is_reported_not_a_traceback(
    app: typer.Typer, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEL_DATABASE_URL", "mysql://nobody@127.0.0.1/none")
    doc = _json(["import", "hubspot", str(examples / "hubspot_deals.csv"), "--json"], app, 2)
    assert "cannot open the store" in doc["fatal"]


def test_error_text_with_brackets_reaches_stderr_verbatim(app: typer.Typer, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("id,fc\nD1,[bold]Maybe\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text("[columns]\ndeal_id = 'id'\nforecast_category = 'fc'\n", encoding="utf-8")
    result = runner.invoke(app, ["import", "csv", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert "'[bold]Maybe'" in result.stderr and "[forecast_categories]" in result.stderr


def test_progress_bar_callback_runs() -> None:
    from ui.commands.importing import _progress

    with _progress(True, "importing") as update:
        assert update is not None
        update(5, 10)
        update(10, 10)
    with _progress(False, "importing") as nothing:
        assert nothing is None
