"""Backtest Keel's scoring engine on an org's own CRM export, beside simple baselines.

Keel's engine (XGBoost + Platt calibration, as in production) is trained on the table's
columns under repeated stratified cross-validation, or a time split when a time column
is given, and compared with: the stage's historical win rate (when a stage column
exists), logistic regression on the same columns, and optionally an LLM's 0-100
opinion on a small sample (the ``opinion`` callable, injected by the caller).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from scoring.csv_table import BacktestInputError, Table, read_table
from scoring.fit import fit_win_model
from scoring.metrics import auc, brier, calibration_table
from scoring.model import Dataset
from scoring.settings import ScoringSettings

Opinion = Callable[[dict[str, Any]], float | None]
LEAK_AUC = 0.99


def _dataset(rows: list[dict[str, Any]], y: np.ndarray) -> Dataset:
    return Dataset(rows, y.astype(float), np.ones(len(y)))


def _keel(train_rows: list[dict[str, Any]], train_y: np.ndarray, test_rows: list[dict[str, Any]],
          settings: ScoringSettings, cal_idx: np.ndarray) -> np.ndarray:  # fmt: skip
    mask = np.zeros(len(train_rows), dtype=bool)
    mask[cal_idx] = True
    fit = _dataset([r for r, m in zip(train_rows, mask, strict=True) if not m], train_y[~mask])
    cal = _dataset([r for r, m in zip(train_rows, mask, strict=True) if m], train_y[mask])
    model = fit_win_model(fit, cal, settings=settings, version="backtest")
    return model.predict(test_rows)


class LogisticBaseline:
    """Logistic regression on the same columns (median-imputed + indicators, scaled, one-hot)."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.numeric = [n for n, k in kinds.items() if k in ("numeric", "date")]
        self.categorical = [n for n, k in kinds.items() if k == "categorical"]
        self.num = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
        )
        self.cat = OneHotEncoder(handle_unknown="ignore", min_frequency=5)
        self.model = LogisticRegression(max_iter=2000)

    def _arrays(self, rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        num = np.array(
            [[np.nan if r.get(n) is None else float(r[n]) for n in self.numeric] for r in rows],
            dtype=float,
        )
        cat = np.array(
            [[str(r.get(n) or "(missing)") for n in self.categorical] for r in rows], dtype=object
        )
        return num.reshape(len(rows), len(self.numeric)), cat.reshape(
            len(rows), len(self.categorical)
        )

    def _matrix(self, rows: Sequence[dict[str, Any]], *, fit: bool) -> np.ndarray:
        num, cat = self._arrays(rows)
        parts = []
        if self.numeric:
            parts.append(self.num.fit_transform(num) if fit else self.num.transform(num))
        if self.categorical:
            c = self.cat.fit_transform(cat) if fit else self.cat.transform(cat)
            parts.append(c.toarray() if hasattr(c, "toarray") else np.asarray(c))
        return np.hstack(parts) if parts else np.zeros((len(rows), 0))

    def fit(self, rows: Sequence[dict[str, Any]], y: np.ndarray) -> LogisticBaseline:
        """Fit on training rows."""
        self.model.fit(self._matrix(rows, fit=True), y)
        return self

    def predict(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        """Win probabilities of rows."""
        return np.asarray(self.model.predict_proba(self._matrix(rows, fit=False))[:, 1])


def _stage_rates(rows: list[dict[str, Any]], y: np.ndarray, column: str) -> dict[str, float]:
    totals: dict[str, list[float]] = {}
    for r, label in zip(rows, y, strict=True):
        cell = totals.setdefault(str(r.get(column)), [0.0, 0.0])
        cell[0] += 1
        cell[1] += float(label)
    prior = float(np.mean(y))
    return {k: (w + 2 * prior) / (n + 2) for k, (n, w) in totals.items()}


def leaking_columns(table: Table) -> dict[str, float]:
    """Columns that alone predict the outcome almost perfectly (they record it)."""
    y = np.array(table.y)
    out = {}
    for name, kind in table.kinds.items():
        if kind == "categorical":
            rates = _stage_rates(table.rows, y, name)
            score = np.array([rates[str(r.get(name))] for r in table.rows])
        else:
            col = np.array(
                [np.nan if r.get(name) is None else r[name] for r in table.rows], dtype=float
            )
            score = np.nan_to_num(col, nan=np.nanmedian(col) if np.isfinite(col).any() else 0.0)
        a = auc(y, score)
        if a is not None and max(a, 1 - a) >= LEAK_AUC:
            out[name] = round(max(a, 1 - a), 4)
    return out


def _splits(
    table: Table, folds: int, repeats: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    n = len(table.y)
    if table.times is not None:
        order = np.argsort(np.array(table.times), kind="stable")
        cut = int(round(n * 0.8))
        return [(order[:cut], order[cut:])]
    cv = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    return list(cv.split(np.zeros(n), np.array(table.y)))


def run_backtest(
    path: str,
    *,
    target: str,
    positive: str,
    sep: str = ",",
    time_column: str | None = None,
    folds: int = 5,
    repeats: int = 2,
    settings: ScoringSettings | None = None,
    opinion: Opinion | None = None,
    opinion_sample: int = 30,
) -> dict[str, Any]:
    """Backtest the engine and the baselines on a CSV export.

    Raises:
        scoring.csv_table.BacktestInputError: the file cannot be backtested (the message
            says why and where).
    """
    settings = settings or ScoringSettings()
    table = read_table(path, target=target, positive=positive, sep=sep, time_column=time_column)
    leaks = leaking_columns(table)
    for name, a in leaks.items():
        table.notes.append(
            f"column {name!r} alone predicts {target!r} (AUC {a:.2f}): it records the outcome; left out"
        )
        table.kinds.pop(name)
    if not table.kinds:
        raise BacktestInputError(
            f"{path}: every feature column records the outcome; nothing to learn from"
        )
    rows = [{k: r.get(k) for k in table.kinds} for r in table.rows]
    y = np.array(table.y)
    stage = table.stage_column if table.stage_column in table.kinds else None
    if table.stage_column is not None and stage is None:
        table.notes.append("stage baseline skipped: the stage column records the outcome")
    preds: dict[str, list[np.ndarray]] = {"keel": [], "logistic": [], "stage": []}
    pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in preds}
    rng = np.random.default_rng(settings.seed)
    for train_idx, test_idx in _splits(table, folds, repeats, settings.seed):
        tr_rows = [rows[i] for i in train_idx]
        te_rows = [rows[i] for i in test_idx]
        ytr, yte = y[train_idx], y[test_idx]
        if table.times is not None:
            cal_idx = np.arange(int(len(train_idx) * 0.8), len(train_idx))
        else:
            _, cal_idx = train_test_split(np.arange(len(train_idx)), test_size=0.2, stratify=ytr,
                                          random_state=int(rng.integers(1 << 30)))  # fmt: skip
        outcome = {"keel": _keel(tr_rows, ytr, te_rows, settings, cal_idx)}
        outcome["logistic"] = LogisticBaseline(table.kinds).fit(tr_rows, ytr).predict(te_rows)
        if stage is not None:
            rates = _stage_rates(tr_rows, ytr, stage)
            outcome["stage"] = np.array(
                [rates.get(str(r.get(stage)), float(np.mean(ytr))) for r in te_rows]
            )
        for name, p in outcome.items():
            pooled[name].append((yte, p))
    result = _summarise(pooled)
    doc: dict[str, Any] = {
        "metrics": result["metrics"],
        "rows": len(rows),
        "won": int(y.sum()),
        "validation": "time split (train on the earliest 80%, test on the latest 20%)"
        if table.times is not None
        else f"repeated stratified {folds}-fold cross-validation x{repeats}",
        "columns": table.kinds,
        "stage_column": stage,
        "notes": table.notes,
        "calibration": result["calibration"],
        "baselines": result["baselines"],
    }
    if opinion is not None:
        doc["llm"] = _llm_baseline(table, rows, y, opinion, opinion_sample, settings)
        if doc["llm"].get("auc") is not None:
            doc["metrics"]["llm_opinion_auc"] = doc["llm"]["auc"]
            doc["metrics"]["llm_opinion_brier"] = doc["llm"]["brier"]
    return doc


def _summarise(pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]]) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    baselines: dict[str, Any] = {}
    calibration: list[dict[str, Any]] = []
    for name, parts in pooled.items():
        if not parts:
            continue
        aucs = [a for a in (auc(yy, pp) for yy, pp in parts) if a is not None]
        briers = [b for b in (brier(yy, pp) for yy, pp in parts) if b is not None]
        ys = np.concatenate([yy for yy, _ in parts])
        ps = np.concatenate([pp for _, pp in parts])
        entry = {
            "auc": round(float(np.mean(aucs)), 4) if aucs else None,
            "auc_sd": round(float(np.std(aucs)), 4) if len(aucs) > 1 else None,
            "brier": round(float(np.mean(briers)), 4) if briers else None,
            "calibration": calibration_table(ys, ps),
        }
        prefix = "" if name == "keel" else f"{name}_baseline_"
        metrics[f"{prefix}auc"], metrics[f"{prefix}brier"] = entry["auc"], entry["brier"]
        if name == "keel":
            calibration = calibration_table(ys, ps)
        else:
            baselines[name] = entry
    return {"metrics": metrics, "baselines": baselines, "calibration": calibration}


def _llm_baseline(table: Table, rows: Sequence[dict[str, Any]], y: np.ndarray, opinion: Opinion,
                  sample: int, settings: ScoringSettings) -> dict[str, Any]:  # fmt: skip
    """Ask the LLM for a 0-100 opinion on a stratified random sample of rows."""
    rng = np.random.default_rng(settings.seed)
    idx = rng.permutation(len(rows))[: min(sample, len(rows))]
    got: list[tuple[float, float]] = []
    failed = 0
    for i in idx:
        value = opinion(dict(rows[int(i)]))
        if value is None:
            failed += 1
        else:
            got.append((float(y[int(i)]), min(max(value, 0.0), 1.0)))
    if len(got) < 2:
        return {"sample": int(len(idx)), "answered": len(got), "auc": None, "brier": None,
                "note": "the LLM answered too few rows"}  # fmt: skip
    yy = np.array([g[0] for g in got])
    pp = np.array([g[1] for g in got])
    return {
        "sample": int(len(idx)),
        "answered": len(got),
        "failed": failed,
        "auc": auc(yy, pp),
        "brier": brier(yy, pp),
    }
