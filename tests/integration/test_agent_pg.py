"""The agent on PostgreSQL: tools, access control and checkpoints that survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.engine import Engine

from agent.checkpointing import checkpoint_target, open_checkpointer
from agent.context import AgentContext
from agent.graph import compile_graph
from agent.turn import run_turn, thread_config
from memory.db import session_scope
from memory.settings import MemorySettings
from tests.unit.agent.fakes import scripted
from tests.unit.tools.world import NOW, ORG, deal_id, seed
from tools.access import allowed_deal_ids, load_viewer
from tools.context import ToolContext

pytestmark = pytest.mark.integration


def test_agent_turns_and_checkpoints_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    seed(pg_engine)
    url = pg_engine.url.render_as_string(hide_password=False)
    settings = MemorySettings(home=tmp_path, database_url=url)
    assert checkpoint_target(settings)[0] == "postgres"
    with session_scope(pg_engine) as session:
        rep = load_viewer(session, org_id=ORG, user_id="r1")
        assert allowed_deal_ids(session, rep, as_of=NOW) == {
            deal_id("D1"),
            deal_id("D2"),
            deal_id("D5"),
        }

    def context(model: object) -> AgentContext:
        return AgentContext(tools=ToolContext(engine=pg_engine, viewer=rep, now=NOW), model=model)  # type: ignore[arg-type]

    with open_checkpointer(settings) as saver:
        first = run_turn(compile_graph(saver), message="northwind renewal?", thread_id="pg",
                         context=context(scripted({"tool": "lookup_deal", "deal": "northwind renewal"}, "Proposal.")))  # fmt: skip
    assert first.tool_calls[0]["status"] == "ok" and first.answer == "Proposal."
    with open_checkpointer(settings) as saver:  # a restarted process
        graph = compile_graph(saver)
        assert graph.get_state(thread_config("pg")).values["focus_deal"]["deal_id"] == deal_id("D1")
        follow = run_turn(graph, message="its score?", thread_id="pg",
                          context=context(scripted({"tool": "deal_score", "deal": "it"})))  # fmt: skip
    assert follow.tool_calls[0]["deal_name"] == "Northwind renewal"
    blocked = run_turn(compile_graph(InMemorySaver()), message="globex?", thread_id="x",
                       context=context(scripted({"tool": "lookup_deal", "deal": "Globex platform"})))  # fmt: skip
    assert blocked.tool_calls[0]["status"] == "not_found"
