"""Benchmark of the chat agent: deal-lookup latency with the embedded model, and overhead.

Three numbers users feel or engineers need:

- ``lookup_p50_ms`` / ``lookup_p95_ms``: a rep asks for a deal's status; time from sending
  the message to the complete answer (routing call, tool, streamed answer), embedded model;
- ``first_token_p50_ms`` / ``first_token_p95_ms``: time to the first streamed answer token;
- ``overhead_p50_ms`` / ``overhead_p95_ms``: the same turn with a fake model that answers
  instantly, so what remains is the graph, the tool (store reads, access checks) and the
  SQLite checkpoint write.

The first embedded turn (the first read of the ~1,000-token system prompt) is reported apart as
``cold_lookup_ms``; every timed turn uses a fresh conversation thread.

``calibration_ms`` times one fixed model call (a ~300-token prompt, 100 tokens out, nothing
cached) in the same run: on an idle machine of this kind it takes about 4.5 s, so it tells
how much the machine's load inflated the other numbers.
"""

from __future__ import annotations

import itertools
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableLambda

from agent.checkpointing import open_checkpointer
from agent.context import AgentContext
from agent.graph import compile_graph
from agent.turn import run_turn
from evals.agent_world import AgentWorld, build_world
from memory.db import session_scope
from memory.settings import MemorySettings
from tools.access import load_viewer
from tools.context import ScoreSource, ToolContext


class InstantChat(GenericFakeChatModel):
    """A fake chat model: routes every message to ``lookup_deal`` and answers at once."""

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        """Parse the scripted JSON routing answer."""
        return self | RunnableLambda(lambda m: json.loads(m.text))


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return (
        round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else 0.0
    )


def _questions(world: AgentWorld, n: int) -> list[str]:
    keys = [k for k in world.deals if k.startswith("own") and not k.startswith("ownclosed")]
    return [f"What's the status of the {world.names[keys[i % len(keys)]]} deal?" for i in range(n)]


_CALIBRATION = "Summarise in two sentences: " + " ".join(
    f"Call {i}: the buyer asked for a revised quote with finance seats and a reference call."
    for i in range(18)
)


def _calibrate(model: BaseChatModel) -> float:
    started = time.perf_counter()
    model.bind(max_tokens=100, stop=["\n\n\n"]).invoke(_CALIBRATION)
    return round((time.perf_counter() - started) * 1000, 1)


def _context(
    world: AgentWorld, model: BaseChatModel | None, scores: ScoreSource | None
) -> AgentContext:
    with session_scope(world.engine) as session:
        viewer = load_viewer(session, org_id=world.org_id, user_id=world.users["rep"])
    tools = ToolContext(
        engine=world.engine, viewer=viewer, now=world.now, chat_model=model, scores=scores
    )
    return AgentContext(tools=tools, model=model)


def _overhead(world: AgentWorld, turns: int, scores: ScoreSource | None, home: Path) -> list[float]:
    deal = world.names["own1"]
    replies = itertools.cycle(
        [AIMessage(json.dumps({"tool": "lookup_deal", "deal": deal})), AIMessage("Done.")]
    )
    model = InstantChat(messages=replies)
    out = []
    with open_checkpointer(MemorySettings(home=home, database_url=None)) as saver:
        graph = compile_graph(saver)
        context = _context(world, model, scores)
        # The same request as the timed turns: the fake replies alternate route/answer, and
        # a request naming no deal is answered without the model (which would misalign them).
        run_turn(graph, message=f"status of {deal}?", context=context, thread_id="warm")
        for i in range(turns):
            turn = run_turn(
                graph, message=f"status of {deal}?", context=context, thread_id=f"fake-{i}"
            )
            assert turn.tool_calls and turn.tool_calls[0]["status"] == "ok", turn.tool_calls
            out.append(turn.total_ms)
    return out


def run(*, turns: int = 8, fake_turns: int = 100, embedded: bool = True) -> dict[str, Any]:
    """Run the benchmark and return ``{"metrics": {...}, "config": {...}}``.

    Args:
        turns: Timed deal lookups with the embedded model.
        fake_turns: Timed turns with the instant fake model.
        embedded: Also time the embedded model (``False``: overhead only).
    """
    from ui.chat_runtime import _score_source

    world = build_world()
    scores = _score_source(world.engine)
    metrics: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        overhead = _overhead(world, fake_turns, scores, Path(tmp))
    metrics["overhead_p50_ms"] = round(statistics.median(overhead), 1)
    metrics["overhead_p95_ms"] = _percentile(overhead, 0.95)
    config: dict[str, Any] = {"fake_turns": fake_turns, "now": world.now.isoformat()}
    if embedded:
        from agent.chat_models import ChatModelFactory
        from agent.settings import AgentSettings

        factory = ChatModelFactory(AgentSettings())
        model = factory.chat_model()
        metrics["calibration_ms"] = _calibrate(model)
        started = time.perf_counter()
        totals, firsts, routed = [], [], 0
        with tempfile.TemporaryDirectory() as tmp:
            with open_checkpointer(MemorySettings(home=Path(tmp), database_url=None)) as saver:
                graph = compile_graph(saver)
                context = _context(world, model, scores)
                questions = _questions(world, turns + 1)
                cold = run_turn(graph, message=questions[0], context=context, thread_id="cold")
                metrics["cold_lookup_ms"] = round((time.perf_counter() - started) * 1000, 1)
                for i, question in enumerate(questions[1:]):
                    turn = run_turn(
                        graph, message=question, context=context, thread_id=f"lookup-{i}"
                    )
                    totals.append(turn.total_ms)
                    if turn.first_token_ms is not None:
                        firsts.append(turn.first_token_ms)
                    routed += int(
                        bool(turn.tool_calls) and turn.tool_calls[0]["name"] == "lookup_deal"
                    )
        metrics |= {
            "lookup_p50_ms": round(statistics.median(totals), 1),
            "lookup_p95_ms": _percentile(totals, 0.95),
            "first_token_p50_ms": round(statistics.median(firsts), 1) if firsts else 0.0,
            "first_token_p95_ms": _percentile(firsts, 0.95),
            "lookups_routed_correctly": routed,
            "lookups": len(totals),
        }
        config |= {"turns": turns, "backend": factory.backend, "cold_route": cold.route}
    return {"metrics": metrics, "config": config}
