"""Choose the tool for this turn: a JSON-schema constrained model call, never free text.

The model answers ``{"tool": <one of the tools>, ...arguments}`` under a grammar, so the tool
name is always valid and the arguments always fit. Two things are decided in Python, not by
the model: a reply that picks one of several deals offered in the previous turn ("the second
one"), and a reference to the deal under discussion ("it", "that deal").
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from langchain_core.exceptions import OutputParserException
from langgraph.runtime import Runtime
from pydantic import BaseModel

from agent.context import AgentContext
from agent.nodes.conversation import base_messages
from agent.nodes.grounding import (
    ground_date,
    ground_deal,
    ground_owner,
    one_deal_instead_of_pipeline,
)
from agent.prompts.agent import DIRECT, PSEUDO_TOOLS, route_model
from agent.state import AgentState, FocusDeal
from tools.dates import DateParseError, resolve_when
from tools.registry import normalise_args

logger = logging.getLogger(__name__)

FAILED = "route_failed"
DEAL_PRONOUNS = {
    "", "it", "its", "this", "that", "this deal", "that deal", "this one", "that one", "the deal",
    "same deal", "same", "the same deal", "them", "they", "this opportunity", "that opportunity",
    "the one", "deal", "this account", "that account",
}  # fmt: skip
_ORDINALS = {
    "first": 1, "1": 1, "1st": 1, "second": 2, "2": 2, "two": 2, "2nd": 2,
    "third": 3, "3": 3, "three": 3, "3rd": 3, "fourth": 4, "4": 4, "4th": 4, "fifth": 5,
    "5": 5, "5th": 5, "sixth": 6, "6": 6, "last": -1,
}  # fmt: skip
_WORDS = re.compile(r"[a-z0-9]+")


def pick_candidate(text: str, candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the candidate a clarification reply picks ("2", "the second one", a name), if any."""
    words = _WORDS.findall(text.lower())
    if not words or len(words) > 12 or not candidates:
        return None
    ordinals = [_ORDINALS[w] for w in words if w in _ORDINALS]
    if len(ordinals) == 1 and len(words) <= 5:
        index = ordinals[0]
        if index == -1:
            return candidates[-1]
        if 1 <= index <= len(candidates):
            return candidates[index - 1]
    said = set(words) - {"the", "one", "deal", "i", "mean", "meant", "please", "for", "a"}
    overlaps = []
    for c in candidates:
        distinct = set(_WORDS.findall(str(c.get("name", "")).lower()))
        overlaps.append(len(said & distinct))
    best = max(overlaps)
    if best > 0 and overlaps.count(best) == 1:
        return candidates[overlaps.index(best)]
    return None


def _with_focus(args: dict[str, str], focus: FocusDeal | None) -> dict[str, str]:
    """Point a pronoun ("it", "that deal") or the focus deal's own name at the focus deal's id."""
    if "deal" not in args or focus is None:
        return args
    said = " ".join(_WORDS.findall(args["deal"].lower()))
    if said in DEAL_PRONOUNS or said == " ".join(_WORDS.findall(focus["name"].lower())):
        return args | {"deal": focus["deal_id"]}
    return args


def _date_parser(ctx: AgentContext) -> Callable[[str], bool]:
    """Whether a phrase is a date Keel understands, for the signed-in user's "now"."""
    viewer, now = ctx.tools.viewer, ctx.tools.now

    def parses(phrase: str) -> bool:
        try:
            resolve_when(phrase, now=now, timezone=viewer.timezone)
        except DateParseError:
            return False
        return True

    return parses


def _grounded(
    args: dict[str, str], text: str, state: AgentState, ctx: AgentContext
) -> dict[str, str]:
    """Hold the model's deal and date arguments to what the user said (see grounding)."""
    out = dict(args)
    if out.get("deal"):
        out["deal"] = ground_deal(
            out["deal"], text, state.get("focus_deal"), pronouns=DEAL_PRONOUNS
        )
    parses = _date_parser(ctx)
    for key in ("since", "when"):
        if key in out:
            out[key] = ground_date(out[key], text, parses)
    if "owner" in out:
        out["owner"] = ground_owner(out["owner"], text)
    return out


def _as_dict(raw: Any) -> dict[str, Any]:
    """The routing answer as a dict (a parsed schema instance, or a plain dict)."""
    if isinstance(raw, BaseModel):
        root = getattr(raw, "root", raw)
        return root.model_dump() if isinstance(root, BaseModel) else dict(root)
    return dict(raw)


def route(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Decide which tool (or a direct reply / refusal) answers the current message."""
    ctx = runtime.context
    text = state.get("request", "")
    pending = state.get("pending")
    if pending:
        chosen = pick_candidate(text, pending["candidates"])
        if chosen is not None:
            args = pending["args"] | {"deal": str(chosen["deal_id"])}
            return {
                "route": {"tool": pending["tool"], "args": args, "via": "clarification"},
                "pending": None,
            }
    if ctx.model is None:
        return {"route": {"tool": DIRECT, "args": {}, "via": "no_model"}, "pending": None}
    specs = {t.name: t for t in ctx.tool_specs}
    chooser = ctx.model.with_structured_output(
        route_model(ctx.tool_specs), max_tokens=ctx.route_max_tokens
    ).with_config(tags=["keel:route"])
    try:
        raw = chooser.invoke(base_messages(state, ctx))
    except (OutputParserException, ValueError, RuntimeError) as exc:
        logger.warning("routing failed: %s", exc)
        return {"route": {"tool": FAILED, "args": {}, "via": "model"}, "pending": None}
    decision = _as_dict(raw)
    name = str(decision.get("tool", ""))
    if name in PSEUDO_TOOLS or name not in specs:
        return {
            "route": {"tool": name if name in PSEUDO_TOOLS else FAILED, "args": {}, "via": "model"},
            "pending": None,
        }
    args = normalise_args(specs[name], decision)
    switched, switched_args = one_deal_instead_of_pipeline(name, args, text, _date_parser(ctx))
    if switched in specs:
        name, args = switched, switched_args
    args = _grounded(args, text, state, ctx)
    args = _with_focus(args, state.get("focus_deal"))
    raw_text = json.dumps(decision)
    return {"route": {"tool": name, "args": args, "via": "model", "raw": raw_text}, "pending": None}
