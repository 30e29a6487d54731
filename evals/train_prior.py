"""Train the prior win model on a simulated org and write ``scoring/priors/sim_prior.json.gz``.

Reproducible: the same arguments give the same world and the same model. The prior's
world uses a different seed from the demo/evaluation org (seed 7), so evaluations of the
prior on the demo org are out-of-sample (same generative model, different deals).

Run: ``.venv/bin/python -m evals.train_prior [--deals 3000] [--seed 2026]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from evals.sim import SimConfig, iter_world, truth_signals_rows
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from scoring.features import FEATURE_VERSION
from scoring.fit import fit_win_model
from scoring.metrics import auc, brier
from scoring.registry import PRIOR_PATH
from scoring.settings import ScoringSettings
from scoring.training import build_training_set, closed_deals, time_split


def train_prior(
    *, deals: int = 3000, seed: int = 2026, months: int = 24, out: Path = PRIOR_PATH
) -> dict[str, Any]:
    """Simulate an org, train the prior on its closed deals, write it to ``out``.

    Returns:
        Facts about the run: sizes, holdout metrics of a model trained without the
        latest 20% of deals, and the file written.
    """
    started = time.perf_counter()
    config = SimConfig(deals=deals, seed=seed, months=months, org_id="sim-prior")
    engine = make_engine("sqlite://")
    create_schema(engine)
    for batch in iter_world(config, batch_deals=1000):
        with session_scope(engine) as session:
            ingest(session, **batch.rows())
            ingest(session, signals=truth_signals_rows(batch))
    settings = ScoringSettings()
    with session_scope(engine) as session:
        closed = closed_deals(session, org_id=config.org_id, as_of=config.end)
        data = build_training_set(session, org_id=config.org_id, deals=closed, settings=settings)
    # Honest check first: train without the latest deals, test on them.
    earlier, later = time_split(closed, 0.2)
    fit_part, cal_part = time_split(earlier, settings.calibration_share)
    check = fit_win_model(
        data.subset(fit_part).dataset(),
        data.subset(cal_part).dataset(),
        settings=settings,
        version="check",
        kind="prior",
    )
    held = data.subset(later).dataset()
    p = check.predict(held.rows)
    metrics = {"holdout_auc": auc(held.y, p, held.w), "holdout_brier": brier(held.y, p, held.w)}
    # The shipped prior uses every closed deal (the latest slice calibrates it).
    fit_all, cal_all = time_split(closed, settings.calibration_share)
    version = f"prior-sim-s{seed}-d{deals}-{FEATURE_VERSION}"
    model = fit_win_model(
        data.subset(fit_all).dataset(),
        data.subset(cal_all).dataset(),
        settings=settings,
        version=version,
        kind="prior",
        meta={
            "feature_version": FEATURE_VERSION,
            "sim": {"deals": deals, "seed": seed, "months": months},
            "closed_deals": len(closed),
            "metrics": metrics,
        },
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(model.to_bytes())
    return {
        "version": version,
        "closed_deals": len(closed),
        "won": sum(d.won for d in closed),
        "snapshots": len(data.features),
        "metrics": metrics,
        "bytes": out.stat().st_size,
        "path": str(out),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--out", type=Path, default=PRIOR_PATH)
    args = parser.parse_args()
    print(
        json.dumps(train_prior(deals=args.deals, seed=args.seed, months=args.months, out=args.out))
    )


if __name__ == "__main__":
    main()
