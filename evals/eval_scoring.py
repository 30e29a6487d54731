"""Evaluate deal scoring on the simulated org: time split, baselines, calibration, learning curve.

The simulated org (seed 7, the demo org) is ingested into a private store and scored
through the production path (store -> point-in-time features -> model). Closed deals are
ordered by when their close became known; the latest 25% are held out. Every held-out
deal contributes its lifecycle snapshots (10%..90% of its life), each as Keel knew it then.

Run: ``keel eval scoring [--json]`` or ``.venv/bin/python -m evals.eval_scoring``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from evals.sim import SimConfig, iter_world, truth_signals_rows
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from scoring.composite import ServedModel
from scoring.fit import fit_win_model
from scoring.matrix import FeatureSpec
from scoring.metrics import auc, brier, calibration_table, expected_calibration_error, log_loss
from scoring.registry import blend_weight, load_prior
from scoring.settings import ScoringSettings
from scoring.training import ClosedDeal, TrainingSet, build_training_set, closed_deals, time_split

CURVE = (50, 100, 200, 400, 800)
ModelFactory = Callable[[], BaseChatModel]


def _fit(
    data: TrainingSet, deals: Sequence[ClosedDeal], settings: ScoringSettings, version: str
) -> ServedModel:
    fit_d, cal_d = time_split(deals, settings.calibration_share)
    model = fit_win_model(
        data.subset(fit_d).dataset(),
        data.subset(cal_d).dataset(),
        settings=settings,
        version=version,
    )
    return ServedModel(version, org=model)


def _life_fraction(data: TrainingSet) -> np.ndarray:
    """Each snapshot's position in its deal's life (0 = created, 1 = closed)."""
    by_id = {d.deal_id: d for d in data.deals}
    out = []
    for f in data.features:
        d = by_id[f.deal_id]
        out.append(round((f.at - d.created_at) / (d.closed_at - d.created_at), 2))
    return np.array(out)


def _pair(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    return {"auc": auc(y, p, w), "brier": brier(y, p, w)}


def _stage_baseline(train: TrainingSet, hold: TrainingSet) -> np.ndarray:
    counts: dict[str | None, list[float]] = {}
    for f, label, weight in zip(train.features, train.y, train.w, strict=True):
        cell = counts.setdefault(f.stage, [0.0, 0.0])
        cell[0] += weight
        cell[1] += weight * label
    base = float(np.average(train.y, weights=train.w))
    rates = {s: (won + 2 * base) / (n + 2) for s, (n, won) in counts.items()}
    return np.array([rates.get(f.stage, base) for f in hold.features])


def _logistic_baseline(
    train: TrainingSet, hold: TrainingSet, settings: ScoringSettings
) -> np.ndarray:
    spec = FeatureSpec.fit(
        [f.values for f in train.features], min_count=settings.category_min_count
    )
    model = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegression(max_iter=3000),
    )
    model.fit(
        spec.transform([f.values for f in train.features]),
        train.y,
        logisticregression__sample_weight=train.w,
    )
    return np.asarray(model.predict_proba(spec.transform([f.values for f in hold.features]))[:, 1])


def _learning_curve(data: TrainingSet, train_d: list[ClosedDeal], hold: TrainingSet, settings: ScoringSettings,
                    repeats: int, prior: Any) -> list[dict[str, Any]]:  # fmt: skip
    rng = np.random.default_rng(settings.seed)
    ds = hold.dataset()
    out: list[dict[str, Any]] = []
    for n in CURVE:
        if n > len(train_d):
            out.append(
                {"train_deals": n, "auc": None, "note": f"only {len(train_d)} training deals"}
            )
            continue
        aucs: list[float] = []
        briers: list[float] = []
        blended: list[float] = []
        for r in range(repeats):
            pick = sorted(rng.choice(len(train_d), size=n, replace=False))
            deals = [train_d[i] for i in pick]
            if len({d.won for d in deals}) < 2:
                continue
            served = _fit(data, deals, settings, f"curve-{n}-{r}")
            p = served.predict(ds.rows)
            aucs.append(auc(ds.y, p, ds.w) or 0.5)
            briers.append(brier(ds.y, p, ds.w) or 0.0)
            if prior is not None:
                mix = ServedModel(
                    "blend",
                    org=served.org,
                    prior=prior,
                    weight=blend_weight(n, settings, has_prior=True),
                )
                blended.append(auc(ds.y, mix.predict(ds.rows), ds.w) or 0.5)
        out.append({
            "train_deals": n, "repeats": len(aucs), "auc": round(float(np.mean(aucs)), 4),
            "auc_sd": round(float(np.std(aucs)), 4), "brier": round(float(np.mean(briers)), 4),
            "blend_with_prior_auc": round(float(np.mean(blended)), 4) if blended else None,
        })  # fmt: skip
    return out


def _matched_confidence(
    conf: np.ndarray, p: np.ndarray, y: np.ndarray, w: np.ndarray
) -> dict[str, Any]:
    """Error of the lower- vs higher-confidence half *at the same predicted probability*.

    Raw error by confidence bucket is confounded: low-data deals are mostly early losers
    predicted near 0, which is easy. Within each 0.1-wide probability bin the snapshots
    are split at the bin's median confidence; squared errors are then summed per half.
    """
    low_err = high_err = low_w = high_w = 0.0
    bins = np.clip((p * 10).astype(int), 0, 9)
    for b in range(10):
        m = bins == b
        if m.sum() < 4:
            continue
        cut = np.median(conf[m])
        lo, hi = m & (conf <= cut), m & (conf > cut)
        if not lo.any() or not hi.any():
            continue
        low_err += float(np.sum(w[lo] * (p[lo] - y[lo]) ** 2))
        high_err += float(np.sum(w[hi] * (p[hi] - y[hi]) ** 2))
        low_w += float(w[lo].sum())
        high_w += float(w[hi].sum())
    return {
        "lower_confidence_half_brier": round(low_err / low_w, 4) if low_w else None,
        "higher_confidence_half_brier": round(high_err / high_w, 4) if high_w else None,
    }


def _confidence_table(
    served: ServedModel, hold: TrainingSet, buckets: int = 4
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    cards = served.score_cards(hold.features)
    conf = np.array([c.confidence for c in cards])
    p = np.array([c.win_probability for c in cards])
    matched = _matched_confidence(conf, p, hold.y, hold.w)
    edges = np.quantile(conf, np.linspace(0, 1, buckets + 1))
    idx = np.clip(np.searchsorted(edges[1:-1], conf, side="right"), 0, buckets - 1)
    rows = []
    for b in range(buckets):
        m = idx == b
        if not m.any():
            continue
        y, w = hold.y[m], hold.w[m]
        rate = float(np.average(y, weights=w))
        b_score = brier(y, p[m], w)
        skill = (
            1.0 - b_score / (rate * (1 - rate)) if b_score is not None and 0 < rate < 1 else None
        )
        rows.append({
            "bucket": b + 1, "confidence_from": round(float(conf[m].min()), 3), "confidence_to": round(float(conf[m].max()), 3),
            "snapshots": int(m.sum()), "win_rate": round(rate, 4), "brier": b_score,
            "brier_skill": round(skill, 4) if skill is not None else None, "mean_abs_error": round(float(np.average(np.abs(p[m] - y), weights=w)), 4),
            "auc": auc(y, p[m], w), "log_loss": log_loss(y, p[m], w),
        })  # fmt: skip
    return rows, matched


def _llm_baseline(hold: TrainingSet, served: ServedModel, factory: ModelFactory | None, sample: int,
                  seed: int) -> dict[str, Any]:  # fmt: skip
    if factory is None or sample <= 0:
        return {"skipped": "no chat model given"}
    from agent.explanations import deal_facts, llm_opinion

    try:
        chat = factory()
    except Exception as exc:  # the baseline is optional: say why it did not run
        return {"skipped": f"chat model unavailable: {type(exc).__name__}: {exc}"}
    mid = list(np.flatnonzero(np.isclose(_life_fraction(hold), 0.5)))  # mid-life snapshots
    rng = np.random.default_rng(seed)
    pick = [mid[i] for i in rng.permutation(len(mid))[:sample]]
    started = time.perf_counter()
    got = [(i, llm_opinion(chat, deal_facts(hold.features[i].values))) for i in pick]
    ok = [(i, v) for i, v in got if v is not None]
    idx = [i for i, _ in ok]
    if len(ok) < 2:
        return {"skipped": f"the model answered {len(ok)} of {len(pick)} deals"}
    y = hold.y[idx]
    p_llm = np.array([v for _, v in ok])
    p_keel = served.predict([hold.features[i].values for i in idx])
    return {
        "sample": len(pick), "answered": len(ok), "seconds": round(time.perf_counter() - started, 1),
        "llm": {"auc": auc(y, p_llm), "brier": brier(y, p_llm)},
        "keel_same_sample": {"auc": auc(y, p_keel), "brier": brier(y, p_keel)},
        "distinct_llm_answers": len({round(v, 2) for v in p_llm}),
    }  # fmt: skip


def run(
    *,
    deals: int = 2400,
    months: int = 24,
    seed: int = 7,
    llm_sample: int = 30,
    chat_model: ModelFactory | None = None,
    repeats: int = 3,
    settings: ScoringSettings | None = None,
    extracted_deals: int = 0,
    extraction_budget_s: float = 1800.0,
) -> dict[str, Any]:
    """Run the whole evaluation; returns ``{"metrics": {...}, ...tables}``.

    Args:
        deals: Size of the simulated org.
        months: Its history span.
        seed: Its seed (7 = the demo org; the prior was trained on another seed).
        llm_sample: Held-out deals the LLM-opinion baseline is asked about (0 = skip).
        chat_model: Factory of the chat model for the LLM parts (``None`` = skip them).
        repeats: Random draws per learning-curve size.
        settings: Scoring settings.
        extracted_deals: Held-out deals whose activities are extracted by the real
            extractor to compare true- and extracted-signal scores (0 = skip).
        extraction_budget_s: Time budget of that extraction.
    """
    settings = settings or ScoringSettings()
    started = time.perf_counter()
    config = SimConfig(deals=deals, months=months, seed=seed)
    engine = make_engine("sqlite://")
    create_schema(engine)
    for batch in iter_world(config, batch_deals=1000):
        with session_scope(engine) as session:
            ingest(session, **batch.rows())
            ingest(session, signals=truth_signals_rows(batch))
    t0 = time.perf_counter()
    with session_scope(engine) as session:
        closed = closed_deals(session, org_id=config.org_id, as_of=config.end)
        data = build_training_set(session, org_id=config.org_id, deals=closed, settings=settings)
    feature_s = time.perf_counter() - t0
    train_d, hold_d = time_split(closed, 0.25)
    hold, train = data.subset(hold_d), data.subset(train_d)
    t0 = time.perf_counter()
    served = _fit(data, train_d, settings, "eval-org")
    train_s = time.perf_counter() - t0
    ds = hold.dataset()
    p = served.predict(ds.rows)
    prior = load_prior()
    metrics: dict[str, Any] = {
        "auc": auc(ds.y, p, ds.w), "brier": brier(ds.y, p, ds.w), "log_loss": log_loss(ds.y, p, ds.w),
        "holdout_deals": len(hold_d), "holdout_snapshots": len(ds), "train_deals": len(train_d),
        "holdout_win_rate": round(float(np.average(ds.y, weights=ds.w)), 4),
    }  # fmt: skip
    calib = calibration_table(ds.y, p, ds.w)
    metrics["ece"] = expected_calibration_error(calib)
    baselines = {
        "stage": _pair(ds.y, _stage_baseline(train, hold), ds.w),
        "logistic": _pair(ds.y, _logistic_baseline(train, hold, settings), ds.w),
    }
    if prior is not None:
        baselines["prior_only"] = _pair(ds.y, prior.predict(ds.rows), ds.w)
        mix = ServedModel(
            "blend",
            org=served.org,
            prior=prior,
            weight=blend_weight(len(train_d), settings, has_prior=True),
        )
        baselines["served_blend"] = _pair(ds.y, mix.predict(ds.rows), ds.w)
    for name, pair in baselines.items():
        metrics[f"{name}_baseline_auc" if name in ("stage", "logistic") else f"{name}_auc"] = pair[
            "auc"
        ]
        metrics[f"{name}_baseline_brier" if name in ("stage", "logistic") else f"{name}_brier"] = (
            pair["brier"]
        )
    llm = _llm_baseline(hold, served, chat_model, llm_sample, seed)
    if "llm" in llm:
        metrics["llm_opinion_auc"], metrics["llm_opinion_brier"] = (
            llm["llm"]["auc"],
            llm["llm"]["brier"],
        )
        metrics["llm_sample_keel_auc"] = llm["keel_same_sample"]["auc"]
        metrics["llm_sample_keel_brier"] = llm["keel_same_sample"]["brier"]
    extracted: dict[str, Any] = {"skipped": "not requested (extracted_deals=0)"}
    if extracted_deals > 0 and chat_model is not None:
        from evals.scoring_extracted import compare_extracted

        rng = np.random.default_rng(seed)
        sample = [hold_d[i] for i in sorted(rng.permutation(len(hold_d))[:extracted_deals])]
        extracted = compare_extracted(
            engine, org_id=config.org_id, deals=sample, model=served, chat_model=chat_model,
            settings=settings, budget_s=extraction_budget_s,
        )  # fmt: skip
        if "mean_abs_probability_change" in extracted:
            metrics["extracted_vs_truth_mean_abs_probability_change"] = extracted[
                "mean_abs_probability_change"
            ]
    curve = _learning_curve(data, train_d, hold, settings, repeats, prior)
    for row in curve:
        if row.get("auc") is not None:
            metrics[f"learning_curve_auc_{row['train_deals']}"] = row["auc"]
    conf, matched = _confidence_table(served, hold)
    metrics.update({f"confidence_{k}": v for k, v in matched.items()})
    life = _life_fraction(hold)
    fractions = []
    for frac in settings.snapshot_fractions:
        m = np.isclose(life, frac)
        fractions.append(
            {"life_fraction": frac, "snapshots": int(m.sum()), **_pair(ds.y[m], p[m], ds.w[m])}
        )
    metrics["feature_snapshots_per_s"] = round(len(data.features) / feature_s, 1)
    metrics["train_seconds"] = round(train_s, 2)
    metrics["total_seconds"] = round(time.perf_counter() - started, 1)
    return {
        "title": "keel eval scoring (simulated org)",
        "metrics": metrics,
        "calibration": calib,
        "baselines": baselines,
        "llm_baseline": llm,
        "extracted_vs_truth": extracted,
        "learning_curve": curve,
        "confidence_buckets": conf,
        "by_life_fraction": fractions,
        "config": {
            "deals": deals,
            "months": months,
            "seed": seed,
            "closed_deals": len(closed),
            "signals": "simulator truth (extractor 'truth')",
            "prior": prior.version if prior else None,
            "confidence_error_model": served.org.meta.get("error_model") if served.org else None,
        },  # fmt: skip
        "notes": [
            "Training and the main metrics use the simulator's true signals (extractor 'truth'); "
            "'extracted_vs_truth' re-scores a small sample with LLM-extracted signals.",
            "Every held-out deal is scored at 10/30/50/70/90% of its life, each as known then (known_at = as_of).",
        ],
    }


if __name__ == "__main__":
    print(json.dumps(run(llm_sample=0)))
