"""The one list of tools the agent can call, and how a call is checked and run.

Each tool is a plain typed function ``fn(ctx: ToolContext, **args) -> ToolResult``: the first
docstring line is what the model reads, ``Args:`` documents what it fills in, and ``ctx``
(who is asking, the store, the clock, the chat model) is injected here, never by the model.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin, get_type_hints

from tools.context import ToolContext
from tools.deals import lookup_deal
from tools.drafting import draft_content
from tools.patterns import find_patterns
from tools.pipeline import review_pipeline
from tools.preferences import manage_preferences, record_correction
from tools.results import ToolResult
from tools.rewind import deal_changes, pipeline_snapshot
from tools.scores import deal_score

logger = logging.getLogger(__name__)

MAX_ARGUMENT_CHARS = 500
"""Longest argument value passed to a tool (longer model output is cut)."""

ToolFunction = Callable[..., ToolResult]


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model and the graph see it.

    Attributes:
        name: Function name.
        fn: The function.
        description: First docstring line (what the model reads).
        params: ``{name: {"type": "string", "enum"?: [...], "description": ...}}``.
    """

    name: str
    fn: ToolFunction
    description: str
    params: dict[str, dict[str, Any]]

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments (every argument required; empty string = not given)."""
        return {
            "type": "object",
            "properties": {
                k: {x: y for x, y in v.items() if x != "description"}
                for k, v in self.params.items()
            },
            "required": list(self.params),
            "additionalProperties": False,
        }


def _arg_docs(doc: str) -> dict[str, str]:
    section = doc.split("Args:", 1)[1] if "Args:" in doc else ""
    docs: dict[str, str] = {}
    for match in re.finditer(r"^\s{4}(\w+): (.+(?:\n\s{8}.+)*)", section, re.M):
        docs[match.group(1)] = " ".join(match.group(2).split())
    return docs


def spec_for(fn: ToolFunction) -> ToolSpec:
    """Build a :class:`ToolSpec` from a tool function's signature and docstring.

    Raises:
        TypeError: The function does not take ``ctx`` first, or has a non-string argument.
    """
    doc = inspect.getdoc(fn) or ""
    hints = get_type_hints(fn)
    names = list(inspect.signature(fn).parameters)
    if not names or names[0] != "ctx":
        raise TypeError(f"tool {fn.__name__} must take ctx: ToolContext first")
    docs = _arg_docs(doc)
    params: dict[str, dict[str, Any]] = {}
    for name in names[1:]:
        hint = hints[name]
        schema: dict[str, Any] = {"type": "string"}
        if get_origin(hint) is Literal:
            schema["enum"] = list(get_args(hint))
        elif hint is not str:
            raise TypeError(f"tool {fn.__name__}: argument {name} must be str or a Literal of str")
        schema["description"] = docs.get(name, "")
        params[name] = schema
    return ToolSpec(fn.__name__, fn, doc.splitlines()[0] if doc else fn.__name__, params)


TOOLS: list[ToolSpec] = [
    spec_for(fn)
    for fn in (
        lookup_deal,
        deal_score,
        deal_changes,
        pipeline_snapshot,
        review_pipeline,
        find_patterns,
        draft_content,
        manage_preferences,
        record_correction,
    )
]
"""Every tool, in the order the model's catalogue lists them."""

TOOLS_BY_NAME: dict[str, ToolSpec] = {t.name: t for t in TOOLS}


def normalise_args(spec: ToolSpec, args: Mapping[str, Any]) -> dict[str, str]:
    """Return exactly the tool's arguments as bounded strings (unknown keys dropped)."""
    out: dict[str, str] = {}
    for name, schema in spec.params.items():
        value = args.get(name)
        text = "" if value is None else " ".join(str(value).split())[:MAX_ARGUMENT_CHARS]
        enum = schema.get("enum")
        if enum and text not in enum:
            text = str(enum[0])
        out[name] = text
    return out


def call_tool(name: str, args: Mapping[str, Any], ctx: ToolContext) -> ToolResult:
    """Run tool ``name`` for ``ctx.viewer`` with model-chosen ``args``; failures become results."""
    spec = TOOLS_BY_NAME.get(name)
    if spec is None:
        return ToolResult(name, "error", f"There is no tool called {name!r}.")
    clean = normalise_args(spec, args)
    try:
        return spec.fn(ctx, **clean)
    except Exception as exc:  # a tool failure must not end the conversation
        logger.exception("tool %s failed", name)
        return ToolResult(
            name,
            "error",
            f"Something went wrong while running {name} ({type(exc).__name__}); please try again.",
        )
