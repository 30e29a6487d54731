from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli import build_app

runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.delenv("KEEL_DATABASE_URL", raising=False)
    monkeypatch.setenv("KEEL_EXTRACT_MAX_CHARS", "50000")
    return tmp_path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file is empty"),
        (b"\x00\x01binary\x00\x00", "binary"),
        (
            b"Tom Becker (AE, Keelson): hello there, how are you?\n" * 25_000,
            "over the extraction limit",
        ),
    ],
)
def test_bad_files_fail_before_any_model_is_loaded(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "activity.txt"
    path.write_bytes(content)
    result = runner.invoke(build_app(), ["extract", str(path), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in " ".join(result.stderr.split())


def test_text_just_over_the_character_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("word " * 12_000)  # 60,000 characters, 60,000 bytes (< 4 x limit)
    result = runner.invoke(build_app(), ["extract", str(path)])
    assert result.exit_code == 2 and "over the extraction limit" in " ".join(result.stderr.split())


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["extract", str(tmp_path / "nope.eml")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_empty_stdin() -> None:
    result = runner.invoke(build_app(), ["extract", "-", "--json"], input=b"")
    assert result.exit_code == 2 and "empty" in result.stderr
