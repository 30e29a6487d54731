from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from agent.checkpointing import checkpoint_target, open_async_checkpointer, open_checkpointer
from agent.context import AgentContext
from agent.graph import compile_graph
from agent.turn import TurnEvent, astream_turn, run_turn, thread_config
from memory.db import session_scope
from memory.settings import MemorySettings
from tests.unit.agent.fakes import scripted
from tests.unit.tools.world import NOW, ORG
from tools.access import load_viewer
from tools.context import ToolContext


def _context(world: Any, model: Any, user: str = "r1") -> AgentContext:
    with session_scope(world) as session:
        viewer = load_viewer(session, org_id=ORG, user_id=user)
    return AgentContext(tools=ToolContext(engine=world, viewer=viewer, now=NOW), model=model)


def test_stream_reports_tool_start_end_tokens_then_done(world: Any, graph: Any) -> None:
    model = scripted(
        {"tool": "lookup_deal", "deal": "northwind renewal"}, "Proposal stage at $135,000."
    )

    async def collect() -> list[TurnEvent]:
        return [
            e
            async for e in astream_turn(
                graph, message="northwind renewal", context=_context(world, model), thread_id="s"
            )
        ]

    events = asyncio.run(collect())
    kinds = [e.kind for e in events]
    assert kinds[0] == "tool_start" and kinds[1] == "tool_end" and kinds[-1] == "done"
    assert (
        events[0].tool["args"] == {"deal": "northwind renewal"} and events[1].tool["status"] == "ok"
    )
    tokens = [e for e in events if e.kind == "token"]
    assert tokens and all(t.source == "answer" for t in tokens)
    assert "".join(t.text for t in tokens) == "Proposal stage at $135,000."
    assert events[-1].turn is not None and events[-1].turn.answer == "Proposal stage at $135,000."


def test_routing_tokens_are_never_streamed_to_the_user(world: Any, graph: Any) -> None:
    model = scripted({"tool": "refuse"})

    async def collect() -> list[TurnEvent]:
        return [
            e
            async for e in astream_turn(
                graph, message="do it", context=_context(world, model), thread_id="s2"
            )
        ]

    events = asyncio.run(collect())
    assert [e.kind for e in events] == ["done"]


def test_conversation_survives_a_restart_on_sqlite(world: Any, tmp_path: Path) -> None:
    settings = MemorySettings(home=tmp_path, database_url=None)
    assert checkpoint_target(settings) == ("sqlite", str(tmp_path / "checkpoints.sqlite"))
    with open_checkpointer(settings) as saver:
        graph = compile_graph(saver)
        run_turn(graph, message="northwind renewal", context=_context(world, scripted(
            {"tool": "lookup_deal", "deal": "northwind renewal"}, "Proposal.")), thread_id="keep")  # fmt: skip
    with open_checkpointer(settings) as saver:  # a new process would do exactly this
        graph = compile_graph(saver)
        state = graph.get_state(thread_config("keep")).values
        assert state["focus_deal"]["name"] == "Northwind renewal"
        follow = run_turn(graph, message="and its score?", context=_context(world, scripted(
            {"tool": "deal_score", "deal": "it"})), thread_id="keep")  # fmt: skip
    assert follow.tool_calls[0]["deal_name"] == "Northwind renewal"
    assert isinstance(state["messages"][0], HumanMessage)


def test_async_checkpointer_round_trip(world: Any, tmp_path: Path) -> None:
    settings = MemorySettings(home=tmp_path, database_url=None)

    async def go() -> str:
        async with open_async_checkpointer(settings) as saver:
            graph = compile_graph(saver)
            ctx = _context(world, scripted({"tool": "answer_directly"}, "Hello."))
            async for event in astream_turn(graph, message="hi", context=ctx, thread_id="a"):
                if event.kind == "done" and event.turn is not None:
                    return event.turn.answer
        return ""

    assert asyncio.run(go()) == "Hello."


def test_postgres_url_selects_postgres_checkpoints() -> None:
    settings = MemorySettings(database_url="postgresql+psycopg://u@h/db")
    assert checkpoint_target(settings) == ("postgres", "postgresql://u@h/db")
