"""The CSV backtest: clear messages on bad input, honest metrics on good input."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from scoring.backtest import run_backtest
from scoring.csv_table import BacktestInputError
from scoring.settings import ScoringSettings

FAST = ScoringSettings(max_rounds=40)


def _write(path: Path, rows: list[dict[str, object]], sep: str = ",") -> Path:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=sep)
        w.writeheader()
        w.writerows(rows)
    return path


def _deals(n: int = 200, seed: int = 1) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        champ = rng.choice(["none", "manager", "exec"])
        amount = rng.randint(5, 200) * 1000
        p = {"none": 0.1, "manager": 0.35, "exec": 0.75}[champ]
        rows.append({
            "Id": f"OPP-{i:04d}", "Stage": rng.choice(["discovery", "proposal"]), "Champion": champ,
            "Amount": f"{amount:,}", "Created": f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}",
            "Notes": f"Long call with {rng.choice(['Ann', 'Bo', 'Cy'])} about the rollout plan and pricing {i}",
            "Won": "yes" if rng.random() < p else "no",
        })  # fmt: skip
    return rows


def test_good_file_gives_engine_and_baseline_metrics(tmp_path: Path) -> None:
    doc = run_backtest(
        str(_write(tmp_path / "d.csv", _deals())),
        target="Won",
        positive="yes",
        settings=FAST,
        repeats=1,
    )
    m = doc["metrics"]
    assert 0.6 < m["auc"] <= 1.0 and 0.0 < m["brier"] < 0.25
    assert {"logistic_baseline_auc", "stage_baseline_auc"} <= set(m)
    assert len(doc["calibration"]) == 10 and doc["stage_column"] == "Stage"
    assert any("'Notes' looks like free text" in n for n in doc["notes"])
    assert any("'Id' looks like an identifier" in n for n in doc["notes"])


def test_time_split_and_semicolons(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.csv", _deals(), sep=";")
    doc = run_backtest(
        str(path), target="Won", positive="YES", sep=";", time_column="Created", settings=FAST
    )
    assert doc["validation"].startswith("time split") and doc["metrics"]["auc"] is not None


def test_a_column_that_records_the_outcome_is_left_out(tmp_path: Path) -> None:
    rows = [
        r | {"Final stage": "Closed Won" if r["Won"] == "yes" else "Closed Lost"} for r in _deals()
    ]
    doc = run_backtest(
        str(_write(tmp_path / "d.csv", rows)),
        target="Won",
        positive="yes",
        settings=FAST,
        repeats=1,
    )
    assert "Final stage" not in doc["columns"]
    assert any("'Final stage' alone predicts" in n for n in doc["notes"])


def test_llm_opinion_baseline_is_asked_on_a_sample(tmp_path: Path) -> None:
    asked: list[dict[str, object]] = []

    def opinion(row: dict[str, object]) -> float:
        asked.append(row)
        return 0.8 if row["Champion"] == "exec" else 0.2

    doc = run_backtest(str(_write(tmp_path / "d.csv", _deals())), target="Won", positive="yes",
                       settings=FAST, repeats=1, opinion=opinion, opinion_sample=12)  # fmt: skip
    assert len(asked) == 12 and doc["llm"]["answered"] == 12 and "llm_opinion_auc" in doc["metrics"]


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("empty.csv", "", {}, "the file is empty"),
        ("header.csv", "Stage,Won\n", {}, "no data rows"),
        ("one.csv", "Stage,Amount,Won\n" + "discovery,10,yes\n" * 30, {}, "single class"),
        (
            "target.csv",
            "Stage,Amount,Outcome\n" + "discovery,10,yes\nproposal,5,no\n" * 20,
            {},
            "target column 'Won' not found; columns are ['Stage', 'Amount', 'Outcome']",
        ),
        (
            "typo.csv",
            "Stage,Amount,Wonn\n" + "discovery,10,yes\nproposal,5,no\n" * 20,
            {},
            "(did you mean 'Wonn'?)",
        ),
        (
            "time.csv",
            "Stage,Won\n" + "a,yes\nb,no\n" * 20,
            {"time_column": "Closed"},
            "time column 'Closed' not found",
        ),
        (
            "missing.csv",
            "Stage,Amount,Won\n"
            + "".join(f",,{'yes' if i % 2 else 'no'}\n" for i in range(38))
            + "discovery,5,yes\nproposal,7,no\n",
            {},
            "no usable feature column: column 'Stage' is 95% empty",
        ),
        (
            "text.csv",
            "Notes,Won\n"
            + "".join(
                f"a long free text note number {i} about the deal,{'yes' if i % 2 else 'no'}\n"
                for i in range(60)
            ),
            {},
            "looks like free text",
        ),
        ("sep.csv", "Stage;Amount;Won\n" + "a;1;yes\nb;2;no\n" * 20, {}, "pass --sep"),
    ],
)
def test_bad_input_gets_a_clear_message(
    tmp_path: Path, name: str, content: str, kwargs: dict[str, str], message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(BacktestInputError) as err:
        run_backtest(str(path), target="Won", positive="yes", settings=FAST, **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value) and name in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BacktestInputError, match="file not found"):
        run_backtest(str(tmp_path / "nope.csv"), target="Won", positive="yes")
