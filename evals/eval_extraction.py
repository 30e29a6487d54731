"""Extraction evaluation: the hand-labelled set and the simulator's ground truth.

``run()`` extracts every hand-labelled activity in ``evals/data/extraction_labelled/``
and a random sample of a simulated world's activities (through the store, so the content
hash cache is exercised too), scores them with :mod:`evals.extraction_scoring` and returns
``{"metrics": {...}, "table": [...], ...}``. Hand-labelled metrics are unprefixed; the
simulator's carry a ``sim_`` prefix and are reported separately.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from agent.extraction.config import ExtractionConfig
from agent.extraction.extract import Extractor
from agent.extraction.inputs import read_activity
from agent.extraction.settings import ExtractionSettings
from agent.extraction.store import extract_activity, org_facts
from evals.extraction_scoring import FIELDS, summarise, wrong_fields
from evals.sim import SimConfig, simulate, truth_signals_rows
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest

LABELLED_DIR = Path(__file__).parent / "data" / "extraction_labelled"
KEELSON = ["Keelson Logistics Software", "Keelson"]
KEELSON_COMPETITORS = ["RouteSmart", "Fleetly", "LoadLogic", "TransitPro", "in-house"]
"""The labelled set's org history: the competitors Keelson has met before (see README)."""

Progress = Callable[[str], None]


def load_labelled(directory: Path = LABELLED_DIR) -> list[dict[str, Any]]:
    """The labelled cases (``labels.jsonl`` rows, each with its file's bytes as ``data``)."""
    rows = []
    with (directory / "labels.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                row["data"] = (directory / "cases" / row["file"]).read_bytes()
                rows.append(row)
    return rows


def eval_labelled(
    model: BaseChatModel,
    *,
    directory: Path = LABELLED_DIR,
    limit: int | None = None,
    settings: ExtractionSettings | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Extract and score the hand-labelled set."""
    settings = settings or ExtractionSettings()
    config = ExtractionConfig.from_settings(
        settings, sellers=KEELSON, competitors=KEELSON_COMPETITORS
    )
    extractor = Extractor(model, config)
    pairs, cases, seconds, calls = [], [], 0.0, 0
    for row in load_labelled(directory)[:limit]:
        read = read_activity(row["data"], row["file"], seller_domains=config.seller_domains)
        result = extractor.extract(read.activity)
        pred = result.signals.payload()
        pairs.append((pred, row["labels"]))
        seconds += result.seconds
        calls += result.llm_calls
        wrong = wrong_fields(pred, row["labels"])
        cases.append({"file": row["file"], "seconds": round(result.seconds, 2), "wrong": wrong})
        if progress:
            progress(f"{row['file']}: {len(wrong)} wrong, {result.seconds:.1f} s")
    return {
        "metrics": summarise(pairs),
        "cases": cases,
        "seconds": seconds,
        "llm_calls": calls,
        "n": len(pairs),
    }


def eval_sim(
    model: BaseChatModel,
    *,
    sample: int = 40,
    seed: int = 23,
    deals: int = 100,
    settings: ExtractionSettings | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Extract a random sample of a simulated world through the store and score it.

    The org's history is the truth signals of every *other* activity (that is where the
    known competitor names come from); the sampled activities' own truth is held out.
    Afterwards the first few sampled activities are extracted again to time the cache hit.
    """
    world = simulate(SimConfig(seed=seed, deals=deals))
    rng = random.Random(seed)
    picked = rng.sample(world.activities, min(sample, len(world.activities)))
    held_out = {a["id"] for a in picked}
    engine = make_engine("sqlite://")
    create_schema(engine)
    history = [r for r in truth_signals_rows(world) if r["activity_id"] not in held_out]
    with session_scope(engine) as session:
        ingest(session, **world.rows(), signals=history)
    org_id = world.rows()["orgs"][0]["id"]
    with session_scope(engine) as session:
        facts = org_facts(session, org_id)
    extractor = Extractor(
        model, ExtractionConfig.from_settings(settings or ExtractionSettings(), **facts)
    )
    truth = world.truth.activity_by_id()
    pairs, cases, seconds, calls = [], [], 0.0, 0
    for act in picked:
        with session_scope(engine) as session:
            result = extract_activity(
                session, org_id=org_id, activity_id=act["id"], extractor=extractor
            )
        label = truth[act["id"]].signals
        pred = result.signals.payload()
        pairs.append((pred, label))
        seconds += result.seconds
        calls += result.llm_calls
        wrong = wrong_fields(pred, label)
        cases.append({"source_id": act["source_id"], "kind": act["kind"], "wrong": wrong})
        if progress:
            progress(f"sim {act['source_id']} ({act['kind']}): {len(wrong)} wrong")
    hits = []
    for act in picked[:5]:
        start = time.perf_counter()
        with session_scope(engine) as session:
            again = extract_activity(
                session, org_id=org_id, activity_id=act["id"], extractor=extractor
            )
        hits.append((time.perf_counter() - start, again.cached and again.llm_calls == 0))
    engine.dispose()
    return {
        "metrics": summarise(pairs),
        "cases": cases,
        "seconds": seconds,
        "llm_calls": calls,
        "n": len(pairs),
        "cache_hit_ms": round(1000 * max(t for t, _ in hits), 2) if hits else None,
        "cache_hits_without_llm": sum(ok for _, ok in hits),
        "cache_checked": len(hits),
        "known_competitors": facts["competitors"],
    }


def run(
    *,
    model: BaseChatModel | None = None,
    labelled_dir: Path = LABELLED_DIR,
    limit: int | None = None,
    sim_sample: int = 40,
    sim_seed: int = 23,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run both evaluations; ``model`` defaults to the configured chat model.

    Returns:
        ``{"metrics": {...}, "table": [...], "cases": [...], "sim_cases": [...]}``; metrics
        without prefix are the hand-labelled set's, ``sim_*`` the simulator's.
    """
    factory = None
    if model is None:
        from agent.chat_models import ChatModelFactory
        from agent.settings import AgentSettings

        factory = ChatModelFactory(AgentSettings())
        model = factory.chat_model()
    try:
        labelled = eval_labelled(model, directory=labelled_dir, limit=limit, progress=progress)
        sim = (
            eval_sim(model, sample=sim_sample, seed=sim_seed, progress=progress)
            if sim_sample
            else None
        )
    finally:
        if factory is not None:
            factory.close()
    metrics: dict[str, Any] = dict(labelled["metrics"])
    total_s, total_n = labelled["seconds"], labelled["n"]
    if sim is not None:
        metrics |= {f"sim_{k}": v for k, v in sim["metrics"].items()}
        metrics |= {k: sim[k] for k in ("cache_hit_ms", "cache_hits_without_llm")}
        total_s, total_n = total_s + sim["seconds"], total_n + sim["n"]
    per = total_s / total_n if total_n else 0.0
    metrics["seconds_per_activity"] = round(per, 2)
    metrics["activities_per_minute"] = round(60 / per, 2) if per else None
    metrics["llm_calls_per_activity"] = round(
        (labelled["llm_calls"] + (sim["llm_calls"] if sim else 0)) / max(total_n, 1), 2
    )
    metrics["labelled_activities"] = labelled["n"]
    metrics["sim_activities"] = sim["n"] if sim else 0
    table = [
        {
            "field": f,
            "labelled_accuracy": labelled["metrics"][f"{f}_accuracy"],
            "sim_accuracy": sim["metrics"][f"{f}_accuracy"] if sim else None,
        }
        for f in (*FIELDS, "field")
    ]
    return {
        "metrics": metrics,
        "table": table,
        "cases": labelled["cases"],
        "sim_cases": sim["cases"] if sim else [],
        "sim_known_competitors": sim["known_competitors"] if sim else [],
    }


def format_table(result: dict[str, Any]) -> str:
    """A readable per-field table of a ``run()`` result."""
    lines = [f"{'field':<26}{'hand-labelled':>15}{'simulator':>12}"]
    for row in result["table"]:
        lab, sim = row["labelled_accuracy"], row["sim_accuracy"]
        name = "OVERALL field_accuracy" if row["field"] == "field" else row["field"]
        lines.append(
            f"{name:<26}{'' if lab is None else f'{lab:.3f}':>15}"
            f"{'' if sim is None else f'{sim:.3f}':>12}"
        )
    m = result["metrics"]
    lines.append(
        f"seconds/activity {m['seconds_per_activity']}, activities/minute "
        f"{m['activities_per_minute']}, LLM calls/activity {m['llm_calls_per_activity']}"
    )
    return "\n".join(lines)
