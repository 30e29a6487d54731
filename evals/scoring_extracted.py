"""True signals versus LLM-extracted signals: how much does extraction move the scores?

A sample of held-out deals of the evaluation org has every activity extracted by the real
extractor (``agent.extraction``, embedded model), stored beside the simulator's true
signals. The same model then scores the same snapshots twice, reading features from one
extractor or the other. Extraction on this machine is slow (tens of seconds per
activity on a busy 2-core box), so the sample is small and bounded by a time budget; only
deals whose activities were all extracted are compared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from sqlalchemy import select
from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.models import Activity
from scoring.composite import ServedModel
from scoring.features import build_features_at
from scoring.metrics import auc, brier
from scoring.settings import ScoringSettings
from scoring.training import ClosedDeal, snapshot_instants

COMPARED = (
    "champion_seniority", "eb_engaged", "business_case_shared", "pricing_discussed",
    "competitors_count", "next_meeting_last", "risks_count",
)  # fmt: skip


def compare_extracted(
    engine: Engine,
    *,
    org_id: str,
    deals: Sequence[ClosedDeal],
    model: ServedModel,
    chat_model: Callable[[], BaseChatModel],
    settings: ScoringSettings,
    budget_s: float,
    truth_extractor: str = "truth",
) -> dict[str, Any]:
    """Extract the sample's activities (within ``budget_s``) and compare the scores."""
    from agent.extraction import ExtractionConfig, ExtractionSettings, Extractor
    from agent.extraction.store import extract_activity, org_facts

    try:
        chat = chat_model()
    except Exception as exc:  # optional part of the evaluation: say why it did not run
        return {"skipped": f"chat model unavailable: {type(exc).__name__}: {exc}"}
    started = time.perf_counter()
    done: list[ClosedDeal] = []
    activities = calls = 0
    with session_scope(engine) as session:
        facts = org_facts(session, org_id)
        extractor = Extractor(chat, ExtractionConfig.from_settings(ExtractionSettings(), **facts))
        for deal in deals:
            ids = session.scalars(
                select(Activity.id).where(Activity.deal_id == deal.deal_id)  # type: ignore[call-overload, arg-type]
            ).all()
            complete = True
            for activity_id in ids:
                if time.perf_counter() - started > budget_s:
                    complete = False
                    break
                result = extract_activity(
                    session, org_id=org_id, activity_id=activity_id, extractor=extractor
                )
                activities += 1
                calls += result.llm_calls
            if not complete:
                break
            done.append(deal)
    seconds = time.perf_counter() - started
    if not done:
        return {
            "skipped": f"no deal fully extracted within {budget_s:.0f} s",
            "activities": activities,
        }
    instants = {d.deal_id: snapshot_instants(d, settings.snapshot_fractions) for d in done}
    scores: dict[str, np.ndarray] = {}
    values: dict[str, list[dict[str, Any]]] = {}
    with session_scope(engine) as session:
        for name, ext in (("truth", truth_extractor), ("extracted", extractor.version)):
            rows = build_features_at(
                session, org_id=org_id, instants=instants,
                settings=settings.model_copy(update={"extractor": (ext,)}),
            )  # fmt: skip
            values[name] = [r.values for r in rows]
            scores[name] = model.predict(values[name])
    won = {d.deal_id: d.won for d in done}
    y = np.array([float(won[d]) for d in instants for _ in instants[d]])
    delta = np.abs(scores["truth"] - scores["extracted"])
    agreement = {
        f: round(float(np.mean([_same(a.get(f), b.get(f)) for a, b in zip(values["truth"], values["extracted"], strict=True)])), 3)
        for f in COMPARED
    }  # fmt: skip
    return {
        "deals": len(done),
        "snapshots": len(y),
        "activities_extracted": activities,
        "llm_calls": calls,
        "seconds": round(seconds, 1),
        "seconds_per_activity": round(seconds / max(activities, 1), 1),
        "extractor": extractor.version,
        "truth": {"auc": auc(y, scores["truth"]), "brier": brier(y, scores["truth"])},
        "extracted": {"auc": auc(y, scores["extracted"]), "brier": brier(y, scores["extracted"])},
        "mean_abs_probability_change": round(float(delta.mean()), 4),
        "max_abs_probability_change": round(float(delta.max()), 4),
        "feature_agreement": agreement,
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (np.isnan(a) and np.isnan(b)) or abs(a - b) < 1e-9
    return bool(a == b)
