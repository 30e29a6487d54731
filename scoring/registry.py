"""The model registry: which model scores an org's deals, and how a new one earns its place.

Every org starts on the prior (a model trained on the simulated org, shipped in
``scoring/priors/``). Once it has ``min_won`` won and ``min_lost`` lost closed deals, a
candidate is trained on its earlier closed deals, blended with the prior by weight
``n / (n + blend_k)``, and compared with the current model on the latest closed deals
(a time-ordered holdout, preferring deals that closed after the current model's
training data). It is promoted only if it beats the current model on both AUC and
Brier score; otherwise it is kept as ``rejected`` with the reason.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import Session

from memory.scoring_store import ScoringModelVersion
from scoring.composite import ServedModel
from scoring.model import WinModel
from scoring.settings import ScoringSettings

PRIOR_PATH = Path(__file__).parent / "priors" / "sim_prior.json.gz"


class NoModelError(RuntimeError):
    """No model can score this org (no promoted model and no prior)."""


def load_prior(path: Path | None = None) -> WinModel | None:
    """The prior trained on the simulated org, or ``None`` if the file is missing.

    Raises:
        ValueError: the file exists but is not a valid model.
    """
    target = path or PRIOR_PATH
    if not target.exists():
        return None
    return WinModel.from_bytes(target.read_bytes())


def promoted_row(session: Session, *, org_id: str) -> ScoringModelVersion | None:
    """The org's promoted model version row, if any."""
    return session.scalars(
        select(ScoringModelVersion).where(
            ScoringModelVersion.org_id == org_id,  # type: ignore[arg-type]
            ScoringModelVersion.status == "promoted",  # type: ignore[arg-type]
        )
    ).first()


def model_rows(session: Session, *, org_id: str) -> list[ScoringModelVersion]:
    """Every registered model version of the org, newest first."""
    return list(
        session.scalars(
            select(ScoringModelVersion)
            .where(ScoringModelVersion.org_id == org_id)  # type: ignore[arg-type]
            .order_by(ScoringModelVersion.created_at.desc())  # type: ignore[attr-defined]
        )
    )


def next_version(session: Session, *, org_id: str) -> str:
    """The next org model version id: ``<org>-v<n>``."""
    n = session.scalar(
        select(func.count())
        .select_from(ScoringModelVersion)
        .where(ScoringModelVersion.org_id == org_id, ScoringModelVersion.kind == "org")  # type: ignore[arg-type]
    )
    return f"{org_id}-v{int(n or 0) + 1}"


def _prior_for(session: Session, version: str | None, shipped: WinModel | None) -> WinModel | None:
    if version is None:
        return None
    if shipped is not None and shipped.version == version:
        return shipped
    row = session.scalars(
        select(ScoringModelVersion).where(ScoringModelVersion.version == version)  # type: ignore[arg-type]
    ).first()
    return WinModel.from_bytes(row.artifact) if row is not None else shipped


def served_model(
    session: Session,
    *,
    org_id: str,
    prior: WinModel | None,
    settings: ScoringSettings | None = None,
) -> ServedModel:
    """The model that scores the org's deals now: the promoted one, else the prior.

    Raises:
        NoModelError: nothing is promoted and there is no prior.
    """
    settings = settings or ScoringSettings()
    row = promoted_row(session, org_id=org_id)
    exact = settings.contributions == "exact"
    if row is None or row.kind == "prior":
        model = prior if row is None else WinModel.from_bytes(row.artifact)
        if model is None:
            raise NoModelError(
                f"org {org_id!r} has no trained model and no prior: run `keel train` once "
                f"it has {settings.min_won} won and {settings.min_lost} lost deals"
            )
        model.use_threads(settings.n_threads)
        return ServedModel(model.version, prior=model, weight=0.0, exact=exact)
    org_model = WinModel.from_bytes(row.artifact)
    org_model.use_threads(settings.n_threads)
    base = _prior_for(session, row.prior_version, prior) if row.blend_weight < 1.0 else None
    if base is not None:
        base.use_threads(settings.n_threads)
    return ServedModel(
        row.version,
        org=org_model,
        prior=base,
        weight=row.blend_weight if base else 1.0,
        exact=exact,
    )


def blend_weight(n_closed: int, settings: ScoringSettings, *, has_prior: bool) -> float:
    """Weight of the org's own model against the prior after ``n_closed`` training deals."""
    if not has_prior:
        return 1.0
    return round(n_closed / (n_closed + settings.blend_k), 4) if n_closed else 0.0
