"""Routing functions of the chat graph: each returns the name of the next node."""

from __future__ import annotations

from typing import Literal

from agent.prompts.agent import PSEUDO_TOOLS
from agent.state import AgentState


def after_guard(state: AgentState) -> Literal["route", "respond"]:
    """Bad input already has its reply; everything else is routed."""
    return "respond" if state.get("reply") else "route"


def after_route(state: AgentState) -> Literal["act", "respond"]:
    """A tool runs; a direct answer, refusal or failed routing is answered at once."""
    tool = (state.get("route") or {}).get("tool")
    if not tool or tool in PSEUDO_TOOLS or tool == "route_failed":
        return "respond"
    return "act"
