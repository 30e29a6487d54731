"""``keel eval ...`` and ``keel bench ...`` for the suites in ``evals/`` that expose ``run()``.

Each command imports its suite lazily (suites pull in models and simulators) and prints
``{"metrics": {...}, ...}`` with ``--json`` or a table without.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer

from ui.cliutil import emit, fail, subgroup
from ui.commands.bench import BENCH_HELP, render_metrics

EVAL_HELP = "Evaluations: quality numbers against ground truth on this machine."
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _run(module: str, title: str, as_json: bool, **kwargs: Any) -> None:
    suite = importlib.import_module(module)
    doc = suite.run(**{k: v for k, v in kwargs.items() if v is not None})
    doc.setdefault("title", title)
    emit(doc, as_json=as_json, render=render_metrics)


def eval_agent(
    limit: Annotated[int | None, typer.Option(help="Only the first N requests.")] = None,
    requests: Annotated[
        Path | None, typer.Option(help="Request file (JSON lines; default: the main set).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Tool choice, arguments and refusals of the agent on scripted rep requests."""
    if requests is not None:
        from evals.eval_agent import load_requests

        try:
            load_requests(requests)  # a bad file is reported before the model loads
        except ValueError as exc:
            fail(str(exc))
    _run("evals.eval_agent", "keel eval agent", as_json, limit=limit, requests=requests)


def eval_extraction(
    limit: Annotated[int | None, typer.Option(help="Only the first N hand-labelled cases.")] = None,
    sim_sample: Annotated[
        int, typer.Option(help="Simulated activities scored too (0 = hand-labelled set only).")
    ] = 40,
    as_json: JsonOpt = False,
) -> None:
    """Per-field extraction accuracy on the hand-labelled set and the simulator's truth."""
    from evals.eval_extraction import format_table, run

    doc = run(limit=limit, sim_sample=sim_sample)
    doc.setdefault("title", "keel eval extraction")
    emit(doc, as_json=as_json, render=lambda d: print(format_table(d)))


def eval_patterns(
    deals: Annotated[int, typer.Option(help="Simulated deals.")] = 2000,
    seed: Annotated[int, typer.Option(help="World seed (11 is held out).")] = 11,
    as_json: JsonOpt = False,
) -> None:
    """Recall of the simulator's planted effects and share of patterns that are not real."""
    _run("evals.eval_patterns", "keel eval patterns", as_json, deals=deals, seed=seed)


def eval_briefings(
    seed: Annotated[int | None, typer.Option(help="World seed (11 is held out).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Alert precision and recall against true shocks and stalls, lead time, items per day."""
    _run("evals.eval_briefings", "keel eval briefings", as_json, seed=seed)


def eval_preferences(as_json: JsonOpt = False) -> None:
    """Repeat-correction rate over time and org promotion precision/recall."""
    _run("evals.eval_preferences", "keel eval preferences", as_json)


def bench_scoring(as_json: JsonOpt = False) -> None:
    """Score 10k open deals with feature building; retrain on 5k closed deals."""
    _run("evals.bench_scoring", "keel bench scoring", as_json)


def bench_patterns(as_json: JsonOpt = False) -> None:
    """Patterns over 20k closed deals; briefings for 50 reps x 100 deals."""
    _run("evals.bench_patterns", "keel bench patterns", as_json)


def bench_agent(
    embedded: Annotated[bool, typer.Option(help="Also time the embedded model.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Agent latency: end-to-end deal lookup, first token, graph and tool overhead."""
    _run("evals.bench_agent", "keel bench agent", as_json, embedded=embedded)


def bench_llm(as_json: JsonOpt = False) -> None:
    """Embedded model load time, first token and tokens per second."""
    _run("evals.bench_llm", "keel bench llm", as_json)


def register(app: typer.Typer) -> None:
    """Add the evaluation and benchmark commands of the suites in ``evals/``."""
    evals = subgroup(app, "eval", EVAL_HELP)
    evals.command("agent")(eval_agent)
    evals.command("extraction")(eval_extraction)
    evals.command("patterns")(eval_patterns)
    evals.command("briefings")(eval_briefings)
    evals.command("preferences")(eval_preferences)
    bench = subgroup(app, "bench", BENCH_HELP)
    bench.command("scoring")(bench_scoring)
    bench.command("patterns")(bench_patterns)
    bench.command("agent")(bench_agent)
    bench.command("llm")(bench_llm)
