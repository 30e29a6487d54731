"""``keel bench patterns``: pattern mining over 20k closed deals, briefings for 50 reps x 100 deals.

* **patterns_s**: :func:`scoring.patterns.mine_records` over ``closed`` synthetic deal
  records drawn from a logistic model with a few real effects and null factors (the
  store-loading step is measured separately on a simulated org: ``load_ms_per_deal``,
  so the 20k-deal figure can be extrapolated honestly: ``patterns_20k_with_load_s``).
* **briefings_s**: one morning's briefings (no LLM text) for ``reps`` reps with
  ``deals_per_rep`` open deals each, from a simulated org in an in-memory store. The
  change statistics warm up over 7 days of stored daily scores (written in the untimed
  setup with the shipped prior, as the cascade would have); yesterday's and today's
  deal states are rebuilt from the raw records inside the timed part.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from scoring.patterns import mine_records
from scoring.patterns.records import DealRecord

T0 = datetime(2025, 1, 1, tzinfo=UTC).timestamp()


def synthetic_records(n: int, seed: int = 3) -> list[DealRecord]:
    """Closed deal records with known effects (champion, business case) and null factors."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        champ = rnd.choice(["none", "ic", "manager", "director", "exec"])
        bc = rnd.choice(["before_3rd_meeting", "later", "none"])
        logit = -1.0 + {"none": -1.0, "ic": -0.5, "manager": 0, "director": 0.8, "exec": 2.0}[champ]
        logit += 0.8 if bc == "before_3rd_meeting" else 0.0
        won = rnd.random() < 1 / (1 + math.exp(-logit))
        created = T0 + rnd.random() * 3e7
        rec = DealRecord(
            f"d{i}", f"u{i % 50}", created, won, created + 5e6, 1e4 * (1 + rnd.random())
        )
        rec.factors = {
            "champion_seniority": champ, "business_case": bc,
            "segment": rnd.choice(["smb", "mid", "enterprise"]),
            "industry": rnd.choice([f"ind{k}" for k in range(8)]),
            "region": rnd.choice(["na", "emea", "nordics"]),
            "lead_source": rnd.choice(["inbound", "outbound", "partner", "event"]),
            "product_line": rnd.choice([f"pl{k}" for k in range(4)]),
            "kickoff_weekday": rnd.choice(["mon", "tue", "wed", "thu", "fri"]),
            "economic_buyer_engaged": rnd.choice(["yes", "no"]),
            "any_competitor": rnd.choice(["yes", "no"]),
        }  # fmt: skip
        rec.behaviours = {"multithreaded_14d": rnd.random() < 0.3}
        single = rnd.random() < 0.4
        rec.stall_points = [(created + 2e6, ("single_threaded",) if single else ())]
        rec.stall_matches = {"single_threaded": created + 2e6} if single else {}
        if single and rnd.random() < 0.3:
            rec.dark_from = created + 2e6
        out.append(rec)
    return out


def _score_history(engine: Any, org_id: str, model: Any, now: datetime, *, days: int) -> int:
    """Daily scores of the open pipeline for ``days`` days (what the cascade would have stored)."""
    from memory.db import session_scope
    from memory.scoring_store import DealScoreHistory, create_scoring_tables
    from scoring.features import build_features

    create_scoring_tables(engine)
    n = 0
    with session_scope(engine) as s:
        for k in range(days + 1, 0, -1):
            at = (now - timedelta(days=k)).replace(hour=6, minute=0, second=0, microsecond=0)
            rows = build_features(s, org_id=org_id, as_of=at)
            probs = model.predict([r.values for r in rows]) if rows else []
            for r, p in zip(rows, probs, strict=True):
                s.add(DealScoreHistory(org_id=org_id, deal_id=r.deal_id, as_of=at, computed_at=at,
                                       win_probability=float(p), confidence=0.5,
                                       model_version="bench", feature_version="bench"))  # fmt: skip
                n += 1
    return n


def bench_briefings(*, reps: int, deals_per_rep: int, seed: int = 5) -> dict[str, float]:
    """Time one morning of briefings for every rep of a simulated org (no LLM)."""
    from sqlmodel import col, select

    from agent.briefing import compose_all
    from evals.sim import SimConfig, simulate, truth_signals_rows
    from memory.briefing_store import create_briefing_tables
    from memory.db import create_schema, make_engine, session_scope
    from memory.ingest import ingest
    from memory.models import User
    from scoring.registry import load_prior

    # A 4-month world leaves roughly 60 % of its deals open at the end.
    world = simulate(SimConfig(deals=int(reps * deals_per_rep * 1.6), reps=reps,
                               managers=max(1, reps // 10), seed=seed, months=4))  # fmt: skip
    engine = make_engine("sqlite://")
    create_schema(engine)
    create_briefing_tables(engine)
    with session_scope(engine) as s:
        ingest(s, **world.rows(), signals=truth_signals_rows(world))
    from scoring.patterns.records import load_records

    with session_scope(engine) as s:
        t_load = time.perf_counter()
        recs = load_records(s, org_id=world.truth.org_id, as_of=world.truth.now)
        load_ms = (time.perf_counter() - t_load) * 1000 / max(len(recs), 1)
    model = load_prior()
    seeded = _score_history(engine, world.truth.org_id, model, world.truth.now, days=7)
    day = (world.truth.now - timedelta(days=1)).date().isoformat()
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        users = [
            u
            for u in s.scalars(select(User).where(col(User.org_id) == world.truth.org_id))
            if u.role == "rep"
        ]
        docs = compose_all(s, org_id=world.truth.org_id, users=users, day=day, model=model,
                           stalls={}, warmup_days=7, said=set())  # fmt: skip
    items = sum(len(d.items) for d in docs)
    open_deals = sum(d.open_deals for d in docs)
    return {"briefings_s": round(time.perf_counter() - t0, 2), "briefing_reps": len(users),
            "load_ms_per_deal": round(load_ms, 3), "score_history_rows": seeded,
            "briefing_open_deals": open_deals, "briefing_items": items}  # fmt: skip


def run(*, closed: int = 20_000, reps: int = 50, deals_per_rep: int = 100) -> dict[str, Any]:
    """Run both benchmarks; returns ``{"metrics": {...}}``."""
    records = synthetic_records(closed)
    t0 = time.perf_counter()
    report = mine_records(records, org_id="bench", as_of=datetime.now(UTC))
    patterns_s = time.perf_counter() - t0
    metrics: dict[str, float] = {"patterns_s": round(patterns_s, 2), "patterns_closed_deals": closed,
                                 "patterns_tests": report.tests}  # fmt: skip
    metrics.update(bench_briefings(reps=reps, deals_per_rep=deals_per_rep))
    metrics["patterns_20k_with_load_s"] = round(
        patterns_s + metrics["load_ms_per_deal"] * closed / 1000, 2
    )
    return {"metrics": metrics, "targets": {"patterns_s": 30.0, "briefings_s": 10.0}}


if __name__ == "__main__":
    import json
    import sys

    args = dict(a.split("=") for a in sys.argv[1:])
    print(json.dumps(run(**{k: int(v) for k, v in args.items()}), indent=1))
