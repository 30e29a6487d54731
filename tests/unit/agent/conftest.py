from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.engine import Engine

from agent.context import AgentContext
from agent.graph import builder
from agent.turn import TurnResult, run_turn
from memory.db import create_schema, make_engine, session_scope
from tests.unit.tools.world import NOW, ORG, seed
from tools.access import load_viewer
from tools.context import ToolContext


@pytest.fixture
def world() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    create_schema(engine)
    seed(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def graph() -> Any:
    return builder().compile(checkpointer=InMemorySaver())


@pytest.fixture
def turn(world: Engine, graph: Any) -> Callable[..., TurnResult]:
    """Run one turn as ``user`` with ``model`` on ``thread``."""

    def run(
        message: str, *, user: str = "r1", model: Any = None, thread: str = "t1", **kw: Any
    ) -> TurnResult:
        with session_scope(world) as session:
            viewer = load_viewer(session, org_id=ORG, user_id=user)
        tools = ToolContext(engine=world, viewer=viewer, now=NOW, thread_id=thread, **kw)
        return run_turn(
            graph, message=message, context=AgentContext(tools=tools, model=model), thread_id=thread
        )

    return run
