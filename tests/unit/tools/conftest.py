from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine

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
def ctx_for(world: Engine) -> Callable[..., ToolContext]:
    def make(user_id: str, **kw: object) -> ToolContext:
        with session_scope(world) as session:
            viewer = load_viewer(session, org_id=ORG, user_id=user_id)
        return ToolContext(engine=world, viewer=viewer, now=NOW, **kw)  # type: ignore[arg-type]

    return make
