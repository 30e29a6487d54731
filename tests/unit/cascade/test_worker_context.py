"""What ``keel worker`` runs with: scoring by default, LLM extraction with ``--extract``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

import ui.commands.worker as worker_cmd
from agent.cascade.context import CascadeContext
from agent.cascade_extraction import CascadeSignalExtractor
from agent.cascade_scoring import CascadeScorer
from memory.db import make_engine, session_scope
from memory.scoring_store import DealScoreHistory
from tests.unit.cascade.conftest import DEALS
from ui.cli import build_app

runner = CliRunner()


def fake_model() -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([]))


def test_the_default_context_scores_with_the_shipped_prior_and_records(
    sqlite_engine: Engine,
) -> None:
    ctx = worker_cmd.make_context(sqlite_engine)
    assert isinstance(ctx.scorer, CascadeScorer) and ctx.score_recorder is not None
    assert ctx.extractor is None
    bare = worker_cmd.make_context(sqlite_engine, score=False)
    assert bare.scorer is None and bare.score_recorder is None


def test_extract_with_plugs_an_extractor_on_that_model(sqlite_engine: Engine) -> None:
    model = fake_model()
    ctx = worker_cmd.make_context(sqlite_engine, score=False, extract_with=model)
    assert isinstance(ctx.extractor, CascadeSignalExtractor)
    assert ctx.extractor.model is model and ctx.extractor.engine is sqlite_engine
    assert ctx.extractor.name.endswith("/GenericFakeChatModel")


@pytest.mark.parametrize(
    ("args", "extracting", "scoring"),
    [([], False, True), (["--extract"], True, True), (["--extract", "--no-score"], True, False)],
)
def test_worker_options_build_the_context(
    home: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], extracting: bool, scoring: bool
) -> None:
    built: list[CascadeContext] = []
    model = fake_model()
    original = worker_cmd.make_context

    def spy(engine: Any, **kw: Any) -> CascadeContext:
        built.append(original(engine, **kw))
        return built[-1]

    monkeypatch.setattr(worker_cmd, "extraction_model", lambda: model)
    monkeypatch.setattr(worker_cmd, "make_context", spy)
    result = runner.invoke(build_app(), ["worker", "--once", "--json", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["queue_depth"] == 0
    (ctx,) = built
    assert (ctx.extractor is not None) == extracting
    if extracting:
        assert isinstance(ctx.extractor, CascadeSignalExtractor) and ctx.extractor.model is model
    assert (ctx.scorer is not None) == scoring
    engine = make_engine(f"sqlite:///{home / 'keel.db'}")
    with session_scope(engine) as s:
        recorded = s.scalar(select(func.count()).select_from(DealScoreHistory))
    engine.dispose()
    assert recorded == (len(DEALS) if scoring else 0)
