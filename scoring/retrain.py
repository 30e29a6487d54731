"""Retraining: train a candidate on the org's closed deals, compare it, promote or reject it.

See :mod:`scoring.registry` for the rules. After a promotion every open deal is scored
again with the new model (history rows written, deal keys marked dirty so the cascade's
roll-ups follow).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from memory.db import utcnow
from memory.scoring_store import ScoringModelVersion
from scoring.composite import ServedModel
from scoring.features import FEATURE_VERSION
from scoring.fit import fit_win_model
from scoring.history import refresh_open_scores
from scoring.metrics import auc, brier, log_loss
from scoring.model import WinModel
from scoring.registry import (
    NoModelError,
    blend_weight,
    next_version,
    promoted_row,
    served_model,
)
from scoring.settings import ScoringSettings
from scoring.training import ClosedDeal, TrainingSet, build_training_set, closed_deals, time_split


@dataclass
class TrainReport:
    """What ``keel train`` did and why."""

    org_id: str
    trained: bool
    promoted: bool
    reason: str
    n_won: int
    n_lost: int
    current_version: str | None = None
    candidate_version: str | None = None
    blend_weight: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    holdout: dict[str, Any] = field(default_factory=dict)
    train_range: dict[str, Any] = field(default_factory=dict)
    snapshots: int = 0
    refreshed_open_deals: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def evaluate(model: ServedModel, data: TrainingSet) -> dict[str, Any]:
    """Time-ordered holdout metrics of a served model on some deals' snapshots."""
    ds = data.dataset()
    p = model.predict(ds.rows)
    return {"auc": auc(ds.y, p, ds.w), "brier": brier(ds.y, p, ds.w), "snapshots": len(ds)}


def _holdout(
    deals: list[ClosedDeal], current: ScoringModelVersion | None, settings: ScoringSettings
) -> tuple[list[ClosedDeal], list[ClosedDeal], str]:
    """Prefer deals that closed after the current model's data; else the latest share."""
    if current is not None and current.train_to is not None:
        after = [d for d in deals if d.known_at > current.train_to]
        if len(after) >= settings.min_holdout and len({d.won for d in after}) == 2:
            before = [d for d in deals if d.known_at <= current.train_to]
            return before, after, "deals closed after the current model's training data"
    train, hold = time_split(deals, settings.holdout_share)
    return train, hold, f"latest {settings.holdout_share:.0%} of closed deals"


def train_and_promote(
    session: Session,
    *,
    org_id: str,
    now: datetime | None = None,
    settings: ScoringSettings | None = None,
    prior: WinModel | None = None,
    refresh: bool = True,
) -> TrainReport:
    """Train a candidate on the org's closed deals; promote it only if it is better.

    Args:
        session: Open session (the caller commits).
        org_id: The org.
        now: Training instant: only closes known by then are used (default: now).
        settings: Scoring settings (minimums, blend, holdout share...).
        prior: The prior trained on the simulated org (``None`` = no prior).
        refresh: Re-score open deals after a promotion.
    """
    started = time.perf_counter()
    settings = settings or ScoringSettings()
    now = now or utcnow()
    deals = closed_deals(session, org_id=org_id, as_of=now)
    won = sum(d.won for d in deals)
    report = TrainReport(org_id, False, False, "", won, len(deals) - won)
    current_row = promoted_row(session, org_id=org_id)
    try:
        current: ServedModel | None = served_model(
            session, org_id=org_id, prior=prior, settings=settings
        )
    except NoModelError:
        current = None
    report.current_version = current.version if current else None
    if won < settings.min_won or report.n_lost < settings.min_lost:
        using = f"scoring with the prior ({current.version})" if current else "no model yet"
        report.reason = (
            f"{won} won and {report.n_lost} lost closed deals; the org's own model needs at "
            f"least {settings.min_won} won and {settings.min_lost} lost: {using}"
        )
        report.seconds = round(time.perf_counter() - started, 2)
        return report
    train_deals, hold_deals, how = _holdout(deals, current_row, settings)
    data = build_training_set(session, org_id=org_id, deals=deals, settings=settings)
    report.snapshots = len(data.features)
    fit_deals, cal_deals = time_split(train_deals, settings.calibration_share)
    version = next_version(session, org_id=org_id)
    model = fit_win_model(
        data.subset(fit_deals).dataset(),
        data.subset(cal_deals).dataset(),
        settings=settings,
        version=version,
        meta={"feature_version": FEATURE_VERSION, "trained_at": now.isoformat()},
    )
    model.use_threads(settings.n_threads)
    weight, report.metrics["blend_selection"] = _choose_weight(
        model, prior, data.subset(cal_deals), len(train_deals), settings
    )
    candidate = ServedModel(version, org=model, prior=prior, weight=weight)
    holdout = data.subset(hold_deals)
    report.trained, report.candidate_version, report.blend_weight = True, version, weight
    report.holdout = {
        "deals": len(hold_deals),
        "won": holdout.n_won,
        "chosen_as": how,
        "from": hold_deals[0].known_at.isoformat() if hold_deals else None,
        "to": hold_deals[-1].known_at.isoformat() if hold_deals else None,
    }
    report.train_range = {
        "deals": len(train_deals),
        "from": train_deals[0].known_at.isoformat() if train_deals else None,
        "to": train_deals[-1].known_at.isoformat() if train_deals else None,
    }
    cand = evaluate(candidate, holdout)
    cur = evaluate(current, holdout) if current is not None else None
    report.metrics |= {"candidate": cand, "current": cur}
    report.promoted, report.reason = _decide(cand, cur)
    row = ScoringModelVersion(
        version=version,
        org_id=org_id,
        kind="org",
        status="promoted" if report.promoted else "rejected",
        created_at=now,
        promoted_at=now if report.promoted else None,
        features=model.spec.columns,
        metrics=report.metrics | {"holdout": report.holdout},
        train_from=train_deals[0].known_at if train_deals else None,
        train_to=train_deals[-1].known_at if train_deals else None,
        n_won=sum(d.won for d in train_deals),
        n_lost=sum(not d.won for d in train_deals),
        blend_weight=weight,
        prior_version=prior.version if prior is not None else None,
        artifact=model.to_bytes(),
        reason=report.reason,
    )
    if report.promoted:
        if current_row is not None:
            current_row.status = "retired"
            session.add(current_row)
        elif prior is not None and current is not None:
            session.add(_prior_row(org_id, prior, now, status="retired"))
        session.add(row)
        session.flush()
        if refresh:
            report.refreshed_open_deals = refresh_open_scores(
                session, org_id=org_id, as_of=now, model=candidate, settings=settings
            )
    else:
        session.add(row)
        session.flush()
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _choose_weight(
    model: WinModel,
    prior: WinModel | None,
    cal: TrainingSet,
    n_train: int,
    settings: ScoringSettings,
) -> tuple[float, dict[str, Any]]:
    """Blend weight: ``n / (n + blend_k)``, unless the org model alone does better.

    Both options are compared by log loss on the calibration slice (training-period
    deals, never the holdout), so a prior that does not fit this org is dropped early.
    """
    default = blend_weight(n_train, settings, has_prior=prior is not None)
    if prior is None or default >= 1.0 or len(cal.features) == 0:
        return default, {"weight": default, "rule": "no prior" if prior is None else "formula"}
    ds = cal.dataset()
    losses = {
        w: log_loss(ds.y, ServedModel("w", org=model, prior=prior, weight=w).predict(ds.rows), ds.w)
        for w in (default, 1.0)
    }
    best = min(losses, key=lambda w: (losses[w] or 0.0, -w))
    rule = "formula n/(n+blend_k)" if best == default else "org model alone fits better"
    return best, {
        "weight": best,
        "rule": rule,
        "calibration_log_loss": {str(k): v for k, v in losses.items()},
    }


def _decide(cand: dict[str, Any], cur: dict[str, Any] | None) -> tuple[bool, str]:
    if cand["auc"] is None:
        return False, "the holdout has a single class: cannot compare models"
    if cur is None or cur["auc"] is None:
        return True, "no current model to beat; candidate promoted"
    better_auc = cand["auc"] > cur["auc"]
    better_brier = cand["brier"] < cur["brier"]
    words = f"AUC {cand['auc']:.3f} vs {cur['auc']:.3f}, Brier {cand['brier']:.4f} vs {cur['brier']:.4f}"
    if better_auc and better_brier:
        return True, f"candidate beats the current model on the holdout ({words})"
    worse = [n for n, ok in (("AUC", better_auc), ("Brier", better_brier)) if not ok]
    return False, f"candidate is not better on {' and '.join(worse)} ({words}); current model kept"


def _prior_row(org_id: str, prior: WinModel, now: datetime, *, status: str) -> ScoringModelVersion:
    return ScoringModelVersion(
        version=f"{prior.version}@{org_id}",
        org_id=org_id,
        kind="prior",
        status=status,
        created_at=now,
        features=prior.spec.columns,
        metrics=dict(prior.meta.get("metrics", {})),
        blend_weight=0.0,
        artifact=prior.to_bytes(),
        reason="prior trained on the simulated org; used until the org's own model beat it",
    )


def should_retrain(
    session: Session,
    *,
    org_id: str,
    now: datetime | None = None,
    settings: ScoringSettings | None = None,
) -> tuple[bool, str]:
    """Whether enough new closed deals arrived since the org's last training run.

    Returns:
        ``(yes, why)``: yes when no org model was ever trained and the minimums are met,
        or when at least ``retrain_min_new_closed`` closes became known since the last run.
    """
    settings = settings or ScoringSettings()
    now = now or utcnow()
    deals = closed_deals(session, org_id=org_id, as_of=now)
    won = sum(d.won for d in deals)
    if won < settings.min_won or len(deals) - won < settings.min_lost:
        return False, f"{won} won / {len(deals) - won} lost: below the minimum"
    last = session.scalars(
        select(ScoringModelVersion.created_at)  # type: ignore[call-overload]
        .where(ScoringModelVersion.org_id == org_id, ScoringModelVersion.kind == "org")
        .order_by(ScoringModelVersion.created_at.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()
    if last is None:
        return True, "no org model trained yet and the minimums are met"
    new = sum(d.known_at > last for d in deals)
    if new >= settings.retrain_min_new_closed:
        return True, f"{new} deals closed since the last training ({last.isoformat()})"
    return (
        False,
        f"only {new} deals closed since the last training (need {settings.retrain_min_new_closed})",
    )


def maybe_retrain(
    session: Session,
    *,
    org_id: str,
    now: datetime | None = None,
    settings: ScoringSettings | None = None,
    prior: WinModel | None = None,
) -> TrainReport | None:
    """Train (and maybe promote) if :func:`should_retrain` says so; ``None`` otherwise."""
    yes, _why = should_retrain(session, org_id=org_id, now=now, settings=settings)
    if not yes:
        return None
    return train_and_promote(session, org_id=org_id, now=now, settings=settings, prior=prior)
