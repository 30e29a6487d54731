from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from tools.context import ToolContext
from tools.registry import TOOLS, TOOLS_BY_NAME, call_tool, normalise_args, spec_for
from tools.results import ToolResult


@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_every_tool_is_documented_for_the_model(spec: object) -> None:
    t = TOOLS_BY_NAME[spec.name]  # type: ignore[attr-defined]
    assert t.description and not t.description.endswith(":") and len(t.description) < 120
    params = list(inspect.signature(t.fn).parameters)
    assert params[0] == "ctx" and "ctx" not in t.params  # infrastructure is injected, not chosen
    for name, schema in t.params.items():
        assert schema["description"], f"{t.name}.{name} has no Args: description"
    assert t.json_schema()["required"] == list(t.params)


def test_tool_names_are_unique() -> None:
    assert len(TOOLS_BY_NAME) == len(TOOLS)


def test_a_tool_must_take_ctx_first() -> None:
    def bad(deal: str) -> ToolResult:
        """Bad tool."""
        raise AssertionError

    with pytest.raises(TypeError):
        spec_for(bad)


def test_arguments_are_normalised_and_bounded() -> None:
    spec = TOOLS_BY_NAME["review_pipeline"]
    assert normalise_args(spec, {"focus": "doom", "owner": None, "x": 1}) == {
        "focus": "at_risk",
        "owner": "",
    }
    long = normalise_args(TOOLS_BY_NAME["lookup_deal"], {"deal": "a " * 5000})
    assert len(long["deal"]) <= 500


def test_unknown_tool_and_tool_crash_become_error_results(
    ctx_for: Callable[..., ToolContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = ctx_for("r1")
    assert call_tool("drop_tables", {}, ctx).status == "error"

    def boom(*_: object, **__: object) -> ToolResult:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("tools.deals.load_deal_facts", boom)
    result = call_tool("lookup_deal", {"deal": "northwind renewal"}, ctx)
    assert result.status == "error" and "RuntimeError" in result.text and "fire" not in result.text
