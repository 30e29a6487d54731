"""``keel train``, ``keel score`` and ``keel eval scoring``: the scoring layer from the terminal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from memory.db import session_scope
from memory.scoring_store import create_scoring_tables
from ui.cliutil import emit, fail, open_store, parse_instant, subgroup
from ui.commands.evaluate import EVAL_HELP
from ui.commands.store import resolve_deal
from ui.settings import UISettings

console = Console()
note = Console(stderr=True)

OrgOpt = Annotated[str | None, typer.Option("--org", help="Org id (default: KEEL_ORG or 'demo').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _chat_model(max_tokens: int) -> Any:
    """The configured chat model, or ``None`` (with a note on stderr) if it cannot load."""
    from agent.chat_models import ChatModelFactory
    from agent.settings import AgentSettings

    try:
        return ChatModelFactory(AgentSettings()).chat_model(max_tokens=max_tokens)
    except Exception as exc:  # explanations fall back to templates
        note.print(f"LLM unavailable ({type(exc).__name__}: {exc}); using template explanations")
        return None


def train(org: OrgOpt = None, as_json: JsonOpt = False,
          refresh: Annotated[bool, typer.Option(help="Re-score open deals after a promotion.")] = True) -> None:  # fmt: skip
    """Train a candidate model on the org's closed deals; promote it only if it is better."""
    from scoring.registry import load_prior
    from scoring.retrain import train_and_promote

    org_id = org or UISettings().org
    engine = open_store()
    create_scoring_tables(engine)
    with session_scope(engine) as session:
        report = train_and_promote(session, org_id=org_id, prior=load_prior(), refresh=refresh)

    def render(doc: dict[str, Any]) -> None:
        verdict = (
            "promoted" if doc["promoted"] else ("not promoted" if doc["trained"] else "not trained")
        )
        console.print(f"[bold]{doc['org_id']}[/]: {verdict}. {doc['reason']}")
        console.print(
            f"closed deals: {doc['n_won']} won, {doc['n_lost']} lost; current: {doc['current_version']}"
        )
        metrics = doc.get("metrics") or {}
        if metrics:
            table = Table(title="time-ordered holdout")
            for col in ("model", "AUC", "Brier", "snapshots"):
                table.add_column(col)
            for name in ("candidate", "current"):
                m = metrics.get(name)
                if m:
                    table.add_row(name, str(m["auc"]), str(m["brier"]), str(m["snapshots"]))
            console.print(table)

    emit(report.as_dict(), as_json=as_json, render=render)


def score(
    deal: Annotated[str | None, typer.Option("--deal", help="Deal id, CRM id or name (default: all open deals).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Score as Keel knew it then (ISO date/datetime).")] = None,
    org: OrgOpt = None,
    llm: Annotated[bool | None, typer.Option("--llm/--no-llm", help="LLM explanations (default: only with --deal).")] = None,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Win probability, confidence and the eight dimensions of open deals."""
    from scoring.feature_pool import pool_for
    from scoring.registry import NoModelError
    from scoring.service import KeelScorer
    from scoring.settings import ScoringSettings

    org_id = org or UISettings().org
    instant = parse_instant(as_of, what="--as-of") if as_of else datetime.now(UTC)
    engine = open_store()
    create_scoring_tables(engine)
    settings = ScoringSettings()
    with session_scope(engine) as session:
        deal_ids = [resolve_deal(session, org_id, deal)] if deal else None
        # The whole pipeline of a big org: half of the features in a second process.
        pool = None if deal else pool_for(session, org_id=org_id, settings=settings)
        scorer = KeelScorer(record=False, settings=settings, pool=pool)
        try:
            cards = scorer.cards(session, org_id=org_id, as_of=instant, deal_ids=deal_ids)
        except NoModelError as exc:
            fail(str(exc))
        finally:
            if pool is not None:
                pool.close()
    if deal and not cards:
        fail(f"deal {deal!r} was not open (or not known yet) at {instant.isoformat()}")
    use_llm = llm if llm is not None else bool(deal)
    if use_llm and cards:
        from agent.explanations import explain_card

        chat = _chat_model(320)
        if chat is not None:
            explained = []
            for card in cards:
                new, sources = explain_card(card, chat)
                rejected = [f"{k}: {v}" for k, v in sources.items() if v != "llm"]
                if rejected:
                    note.print("template kept for " + "; ".join(rejected))
                explained.append(new)
            cards = explained
    docs = [c.as_dict() for c in cards]

    def render(data: Any) -> None:
        for doc in data if isinstance(data, list) else [data]:
            table = Table(
                title=f"{doc['deal_id']}: win {doc['win_probability']:.0%}, confidence {doc['confidence']:.0%} ({doc['model_version']})"
            )
            for col in ("dimension", "score", "confidence", "why"):
                table.add_column(col)
            for d in doc["dimensions"]:
                table.add_row(
                    d["name"], str(d["score"]), f"{d['confidence']:.0%}", d["explanation"]
                )
            console.print(table)
        if not data:
            console.print(f"no open deals in org {org_id!r} at {instant.isoformat()}")

    emit(docs[0] if deal else docs, as_json=as_json, render=render)


def eval_scoring(
    csv: Annotated[str | None, typer.Option("--csv", help="Backtest a CRM export instead of the simulated org.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Outcome column of the CSV.")] = None,
    positive: Annotated[str | None, typer.Option("--positive", help="Value of --target meaning won.")] = None,
    sep: Annotated[str, typer.Option("--sep", help="CSV separator.")] = ",",
    time_column: Annotated[str | None, typer.Option("--time-column", help="Split by this date column instead of cross-validation.")] = None,
    deals: Annotated[int, typer.Option(help="Simulated org size (without --csv).")] = 2400,
    llm_sample: Annotated[int, typer.Option(help="Deals the LLM-opinion baseline is asked about (0 = skip).")] = 30,
    extracted_deals: Annotated[int, typer.Option(help="Held-out deals re-scored with LLM-extracted signals (0 = skip; slow).")] = 0,
    extraction_budget: Annotated[float, typer.Option(help="Seconds allowed for that extraction.")] = 1800.0,
    as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Scoring quality: AUC, Brier, calibration and baselines (simulated org, or your CSV)."""
    factory = None
    if llm_sample > 0 or extracted_deals > 0:

        def factory() -> Any:
            from agent.chat_models import ChatModelFactory
            from agent.settings import AgentSettings

            return ChatModelFactory(AgentSettings()).chat_model()

    if csv is None:
        from evals.eval_scoring import run

        doc = run(deals=deals, llm_sample=llm_sample, chat_model=factory,
                  extracted_deals=extracted_deals, extraction_budget_s=extraction_budget)  # fmt: skip
    else:
        from scoring.backtest import run_backtest
        from scoring.csv_table import BacktestInputError

        if target is None or positive is None:
            fail("--csv needs --target COLUMN and --positive VALUE (the value meaning won)")
        opinion = None
        if factory is not None and llm_sample > 0:
            from agent.explanations import llm_opinion

            chat = _safe(factory)
            opinion = (lambda row: llm_opinion(chat, row)) if chat is not None else None
        try:
            doc = run_backtest(csv, target=target, positive=positive, sep=sep, time_column=time_column,
                               opinion=opinion, opinion_sample=llm_sample)  # fmt: skip
        except BacktestInputError as exc:
            fail(str(exc))
        doc["title"] = f"keel eval scoring --csv {csv}"
    emit(doc, as_json=as_json, render=_render_eval)


def _safe(factory: Any) -> Any:
    try:
        return factory()
    except Exception as exc:  # the LLM baseline is optional
        note.print(f"LLM baseline skipped: {type(exc).__name__}: {exc}")
        return None


def _render_eval(doc: dict[str, Any]) -> None:
    table = Table(title=doc.get("title", "scoring evaluation"))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in doc["metrics"].items():
        table.add_row(name, str(value))
    console.print(table)
    for key in ("calibration", "learning_curve", "confidence_buckets", "by_life_fraction"):
        rows = doc.get(key)
        if rows:
            t = Table(title=key.replace("_", " "))
            for col in rows[0]:
                t.add_column(str(col))
            for r in rows:
                t.add_row(*(str(v) for v in r.values()))
            console.print(t)
    for line in doc.get("notes", []):
        console.print(f"- {line}")
    if doc.get("llm_baseline") or doc.get("llm"):
        console.print(f"LLM baseline: {doc.get('llm_baseline') or doc.get('llm')}")


def register(app: typer.Typer) -> None:
    """Add ``train``, ``score`` and ``eval scoring`` to the CLI."""
    app.command("train")(train)
    app.command("score")(score)
    subgroup(app, "eval", EVAL_HELP).command("scoring")(eval_scoring)
