from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agent.turn import TurnResult
from evals.agent_world import AgentWorld, build_world, typo
from evals.eval_agent import arguments_ok, load_requests, score_case
from memory.db import session_scope
from tools.access import load_viewer
from tools.context import Viewer


@pytest.fixture(scope="module")
def world() -> AgentWorld:
    return build_world()


def _viewer(world: AgentWorld, part: str) -> Viewer:
    with session_scope(world.engine) as session:
        return load_viewer(session, org_id=world.org_id, user_id=world.users[part])


def test_requests_cover_every_tool_and_the_bad_cases() -> None:
    cases = load_requests()
    assert len(cases) >= 60 and len({c["id"] for c in cases}) == len(cases)
    tools = Counter(c["expect"].get("tool", "refuse") for c in cases)
    assert set(tools) >= {"lookup_deal", "deal_score", "deal_changes", "pipeline_snapshot", "review_pipeline",
                          "find_patterns", "draft_content", "manage_preferences", "record_correction",
                          "answer_directly", "refuse"}  # fmt: skip
    assert sum(len(c["turns"]) > 1 for c in cases) >= 6  # follow-ups that rely on earlier turns
    assert tools["refuse"] >= 10


def test_every_placeholder_resolves_in_the_world(world: AgentWorld) -> None:
    for case in load_requests():
        for turn in case["turns"]:
            assert "{" not in world.fill(turn), case["id"]
        for value in list(case["expect"].get("args", {}).values()) + [
            case["expect"].get("forbidden", "")
        ]:
            for key in str(value).split("|"):
                if key.startswith("@"):
                    assert key[1:] in world.deals, (case["id"], key)


def test_out_of_scope_deals_are_really_out_of_scope(world: AgentWorld) -> None:
    rep, manager = _viewer(world, "rep"), _viewer(world, "manager")
    assert not arguments_ok(world, rep, {"deal": "@other1"}, {"deal": world.names["other1"]}) == []
    assert (
        arguments_ok(world, manager, {"deal": "@teammate1"}, {"deal": world.names["teammate1"]})
        == []
    )
    assert arguments_ok(world, rep, {"deal": "@teammate1"}, {"deal": world.names["teammate1"]}) == [
        "deal"
    ]


def test_typos_resolve_to_the_same_deal(world: AgentWorld) -> None:
    rep = _viewer(world, "rep")
    assert typo("Northwind Parcel") != "Northwind Parcel"
    assert arguments_ok(world, rep, {"deal": "@own2"}, {"deal": world.names["own2_typo"]}) == []


def test_dates_compare_by_meaning(world: AgentWorld) -> None:
    rep = _viewer(world, "rep")
    assert arguments_ok(world, rep, {"since": "2 weeks ago"}, {"since": "last two weeks"}) == []
    assert arguments_ok(world, rep, {"since": "this month"}, {"since": "start of the month"}) == []
    assert arguments_ok(world, rep, {"since": "last monday"}, {"since": "yesterday"}) == ["since"]


def _turn(
    tool: str, args: dict[str, Any], calls: list[dict[str, Any]], answer: str = ""
) -> TurnResult:
    return TurnResult("t", answer, calls, {"tool": tool, "args": args}, None, 1.0, None)


def test_refusal_scoring_catches_leaks(world: AgentWorld) -> None:
    rep = _viewer(world, "rep")
    case = {"id": "scope-x", "expect": {"refuse": True, "forbidden": "@other1"}}
    asked = f"status of {world.names['other1']}?"
    clean = _turn(
        "lookup_deal",
        {"deal": "x"},
        [{"status": "not_found", "text": f"I can't find {world.names['other1']}"}],
    )
    assert score_case(world, rep, case, clean, asked)["passed"]
    leaked = _turn(
        "lookup_deal", {"deal": "x"}, [{"status": "ok", "text": world.deals["other1"].name}]
    )
    assert not score_case(world, rep, case, leaked, asked)["passed"]


def test_bad_request_file_says_which_line(tmp_path: Path) -> None:
    good = '{"id": "a", "user": "rep", "turns": ["hi"], "expect": {"tool": "x"}}'
    path = tmp_path / "requests.jsonl"
    path.write_text(good + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"requests.jsonl:3: not JSON"):
        load_requests(path)
    path.write_text(good + '\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r":2: a case needs"):
        load_requests(path)
    path.write_text(good + "\n", encoding="utf-8")
    assert [c["id"] for c in load_requests(path)] == ["a"]
    with pytest.raises(ValueError, match="cannot read"):
        load_requests(tmp_path / "missing.jsonl")
