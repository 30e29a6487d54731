"""The chat agent's LangGraph: guard -> route -> act -> answer, or guard/route -> respond.

This module only wires. ``builder()`` returns the uncompiled graph so tests (and the app)
compile it with the checkpointer they choose.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import AgentContext
from agent.nodes.act import act
from agent.nodes.answer import answer, respond
from agent.nodes.edges import after_guard, after_route
from agent.nodes.guard import guard
from agent.nodes.router import route
from agent.state import AgentState


def builder() -> StateGraph[AgentState, AgentContext, AgentState, AgentState]:
    """Return the uncompiled chat graph."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("guard", guard)
    graph.add_node("route", route)
    graph.add_node("act", act)
    graph.add_node("answer", answer)
    graph.add_node("respond", respond)
    graph.add_edge(START, "guard")
    graph.add_conditional_edges("guard", after_guard)
    graph.add_conditional_edges("route", after_route)
    graph.add_edge("act", "answer")
    graph.add_edge("answer", END)
    graph.add_edge("respond", END)
    return graph


def compile_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the chat graph with ``checkpointer`` (conversations persist per thread id)."""
    return builder().compile(checkpointer=checkpointer, name="keel")
