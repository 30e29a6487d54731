from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from memory.db import session_scope
from memory.ids import make_id
from memory.scoring_store import DealScoreHistory, create_scoring_tables
from tests.unit.tools.world import NOW, deal_id
from tools.context import ToolContext
from tools.deal_facts import DealFacts
from tools.registry import call_tool


def test_lookup_returns_current_state_and_latest_activity(
    ctx_for: Callable[..., ToolContext],
) -> None:
    result = call_tool("lookup_deal", {"deal": "northwind renewal"}, ctx_for("r1"))
    assert result.status == "ok" and result.deal_id == deal_id("D1")
    assert result.text.startswith(
        "Deal: Northwind renewal (account Northwind Traders; logistics, mid)\n"
        "Stage: proposal (40 days in stage)\n"
    )
    assert "Amount: $135,000" in result.text  # the later amount change wins
    assert "Owner: Rita Reyes" in result.text
    assert "Buyer contacts: Bea Buyer (VP Ops)" in result.text
    assert result.data["facts"]["close_date"] == "2026-05-01"


def test_lookup_of_another_reps_deal_finds_nothing(ctx_for: Callable[..., ToolContext]) -> None:
    result = call_tool("lookup_deal", {"deal": "Globex platform"}, ctx_for("r1"))
    assert result.status == "not_found" and result.data == {"query": "Globex platform"}
    assert "200,000" not in result.text and "negotiation" not in result.text


def test_manager_sees_the_team_deal(ctx_for: Callable[..., ToolContext]) -> None:
    assert call_tool("lookup_deal", {"deal": "Globex platform"}, ctx_for("m1")).status == "ok"
    assert (
        call_tool("lookup_deal", {"deal": "Initech payroll"}, ctx_for("m1")).status == "not_found"
    )


def test_ambiguous_name_lists_candidates_to_choose_from(
    ctx_for: Callable[..., ToolContext],
) -> None:
    result = call_tool("lookup_deal", {"deal": "northwind"}, ctx_for("r1"))
    assert result.status == "ambiguous"
    assert {c["name"] for c in result.candidates} == {"Northwind renewal", "Northwind expansion"}
    assert "Which one" in result.text and "1. " in result.text and "2. " in result.text


def test_deal_changes_since_a_relative_date(ctx_for: Callable[..., ToolContext]) -> None:
    # NOW is day 100 (a Saturday); "last monday" is day 95, so day 96/97 events are in.
    result = call_tool(
        "deal_changes", {"deal": "northwind renewal", "since": "last monday"}, ctx_for("r1")
    )
    assert result.status == "ok"
    assert "amount: $120,000 -> $135,000" in result.text
    assert "email: Re: proposal" in result.text
    assert "stage" not in result.text.split("Changes since", 1)[1].split("Totals")[0]


def test_deal_changes_rejects_unreadable_and_future_dates(
    ctx_for: Callable[..., ToolContext],
) -> None:
    bad = call_tool(
        "deal_changes", {"deal": "northwind renewal", "since": "the other day"}, ctx_for("r1")
    )
    assert bad.status == "missing_input" and "last Monday" in bad.text
    future = call_tool(
        "deal_changes", {"deal": "northwind renewal", "since": "2030-01-01"}, ctx_for("r1")
    )
    assert future.status == "missing_input" and "future" in future.text


def test_pipeline_snapshot_compares_then_and_now(ctx_for: Callable[..., ToolContext]) -> None:
    # Day 30: every deal was open in discovery; by now Umbrella was won.
    result = call_tool("pipeline_snapshot", {"when": "2026-01-31", "owner": ""}, ctx_for("r1"))
    assert result.status == "ok"
    assert result.data["then"]["open_count"] == 3 and result.data["now"]["open_count"] == 2
    assert result.data["won"] == ["Umbrella rollout"]


def test_rep_cannot_snapshot_someone_elses_pipeline(ctx_for: Callable[..., ToolContext]) -> None:
    result = call_tool(
        "pipeline_snapshot", {"when": "quarter start", "owner": "Sam Stone"}, ctx_for("r1")
    )
    assert result.status == "refused" and "$" not in result.text


def test_review_ranks_by_value_at_risk_with_reasons(ctx_for: Callable[..., ToolContext]) -> None:
    result = call_tool("review_pipeline", {"focus": "at_risk", "owner": ""}, ctx_for("m1"))
    deals = result.data["deals"]
    assert result.status == "ok" and [d["name"] for d in deals][0] == "Globex platform"
    assert deals == sorted(deals, key=lambda d: -d["value_at_risk"])
    globex = deals[0]
    assert (
        "no recent buyer activity" in globex["flags"]
        and "close date in the past" not in globex["flags"]
    )
    assert "stage-based priors" in result.text


def test_review_for_a_named_team_member_and_slipped_focus(
    ctx_for: Callable[..., ToolContext],
) -> None:
    result = call_tool("review_pipeline", {"focus": "slipped", "owner": "Sam"}, ctx_for("m1"))
    assert result.status == "ok" and all(d["owner"] == "Sam Stone" for d in result.data["deals"])
    refused = call_tool("review_pipeline", {"focus": "all", "owner": "Will West"}, ctx_for("m1"))
    assert refused.status == "refused" and "Initech" not in refused.text


def test_patterns_say_plainly_when_none_were_mined(ctx_for: Callable[..., ToolContext]) -> None:
    result = call_tool("find_patterns", {"question": "won deals against RouteSmart"}, ctx_for("r1"))
    assert result.status == "unavailable" and "No cross-deal pattern analysis" in result.text
    assert "1 closed deals you can see: 1 won, 0 lost" in result.text


def _finding(kind: str, key: str, text: str, q: float) -> dict[str, Any]:
    return {"kind": kind, "key": key, "text": text, "q_value": q, "significant": True,
            "rate_pattern": 0.6, "rate_rest": 0.3, "n_pattern": 40}  # fmt: skip


def test_patterns_answer_from_the_latest_run(ctx_for: Callable[..., ToolContext]) -> None:
    from memory.briefing_store import create_briefing_tables, save_patterns

    ctx = ctx_for("r1")
    create_briefing_tables(ctx.engine)
    report = {
        "org_id": "acme", "version": "v1", "as_of": "2026-04-01", "closed_deals": 120, "win_rate": 0.31,
        "patterns": [
            _finding("win_rate", "champion_seniority=exec", "Deals with an exec champion win more often.", 0.001),
            _finding("competitor", "competitor:RouteSmart x framing=cost", "Against RouteSmart, cost framing wins.", 0.02),
            _finding("rep_behaviour", "multi_thread", "Top reps multi-thread in week one.", 0.01),
        ],
    }  # fmt: skip
    with session_scope(ctx.engine) as session:
        save_patterns(session, report=report, now=NOW)
    rep = call_tool(
        "find_patterns", {"question": "what do won deals against RouteSmart share?"}, ctx
    )
    assert rep.status == "ok" and rep.text.splitlines()[1].startswith("- Against RouteSmart")
    assert "Top reps" not in rep.text  # rep behaviour findings are for managers
    manager = call_tool("find_patterns", {"question": "how do top reps work?"}, ctx_for("m1"))
    assert "Top reps multi-thread" in manager.text


def test_score_without_history_is_unavailable_with_field_history(
    ctx_for: Callable[..., ToolContext],
) -> None:
    result = call_tool("deal_score", {"deal": "northwind renewal"}, ctx_for("r1"))
    assert result.status == "unavailable" and "no score" in result.text
    assert [v for _, v in result.data["fields"]["amount"]] == [120000.0, 135000.0]


def test_score_reads_the_stored_card_as_of_now(ctx_for: Callable[..., ToolContext]) -> None:
    ctx = ctx_for("r1")
    create_scoring_tables(ctx.engine)
    dims = [{"name": "champion", "score": 72.0, "confidence": 0.8, "drivers": ["champion is a VP"]}]
    with session_scope(ctx.engine) as session:
        for days, p in [(-20, 0.4), (-5, 0.55), (+5, 0.9)]:
            session.add(
                DealScoreHistory(
                    org_id="acme", deal_id=deal_id("D1"), as_of=NOW + timedelta(days=days),
                    computed_at=NOW, win_probability=p, confidence=0.7, model_version="m1",
                    feature_version="f1", dimensions=dims,
                )
            )  # fmt: skip
    result = call_tool("deal_score", {"deal": "northwind renewal"}, ctx)
    assert result.status == "ok"
    assert "Win probability: 55%" in result.text and "champion: 72/100" in result.text
    assert [round(p, 2) for _, p in result.data["history"]] == [
        0.4,
        0.55,
    ]  # nothing from the future


class FixedScores:
    def __init__(self, p: float) -> None:
        self.p = p

    def latest(self, org_id: str, deal_id: str, *, as_of: datetime) -> dict[str, Any] | None:
        return {"deal_id": deal_id, "as_of": as_of.isoformat(), "win_probability": self.p,
                "confidence": 0.5, "dimensions": [], "model_version": "fixed"}  # fmt: skip

    def many(
        self, org_id: str, deal_ids: Sequence[str], *, as_of: datetime
    ) -> dict[str, dict[str, Any]]:
        return {d: c for d in deal_ids if (c := self.latest(org_id, d, as_of=as_of))}

    def history(
        self, org_id: str, deal_id: str, *, as_of: datetime
    ) -> list[tuple[datetime, float]]:
        return []


def test_review_uses_scores_when_they_exist(ctx_for: Callable[..., ToolContext]) -> None:
    result = call_tool(
        "review_pipeline", {"focus": "all", "owner": ""}, ctx_for("r1", scores=FixedScores(0.25))
    )
    assert all(
        d["scored"] and d["value_at_risk"] == round(d["amount"] * 0.75, 2)
        for d in result.data["deals"]
    )
    assert "stage-based" not in result.text


def test_drafts_name_the_winning_framing_that_applies(ctx_for: Callable[..., ToolContext]) -> None:
    from memory.briefing_store import create_briefing_tables, save_patterns
    from memory.ingest import ingest
    from tests.factories import day

    ctx = ctx_for("r1")
    create_briefing_tables(ctx.engine)
    framing = _finding("combination", "competitor:RouteSmart=yes x framing=cost_savings",
                       "Against RouteSmart, cost-savings framing wins 60% vs 30%.", 0.01)  # fmt: skip
    framing["factors"] = [["competitor:RouteSmart", "yes"], ["framing", "cost_savings"]]
    other = dict(framing, key="competitor:Nimbus=yes x framing=speed", text="Against Nimbus, speed wins.",
                 factors=[["competitor:Nimbus", "yes"], ["framing", "speed"]])  # fmt: skip
    with session_scope(ctx.engine) as session:
        save_patterns(
            session,
            report={"org_id": "acme", "version": "v2", "patterns": [framing, other]},
            now=NOW,
        )
        ingest(session, signals=[{"org_id": "acme", "activity_id": make_id("activity", "acme", "D1-call"),
                                  "deal_id": deal_id("D1"), "content_hash": "h", "extractor": "test",
                                  "payload": {"competitors": ["RouteSmart"]}, "valid_from": day(10),
                                  "recorded_at": day(10)}])  # fmt: skip
    result = call_tool(
        "draft_content", {"deal": "northwind renewal", "kind": "follow_up_email"}, ctx
    )
    assert result.data["patterns"] == ["competitor:RouteSmart=yes x framing=cost_savings"]
    assert "Patterns applied: Against RouteSmart" in result.data["pattern_note"]
    expansion = call_tool(
        "draft_content", {"deal": "northwind expansion", "kind": "follow_up_email"}, ctx
    )
    assert expansion.data["patterns"] == []


def _facts(**given: Any) -> DealFacts:
    blank: dict[str, Any] = dict.fromkeys(
        (
            "industry",
            "segment",
            "stage",
            "amount",
            "close_date",
            "forecast_category",
            "owner_id",
            "owner_name",
        ),
    )
    return DealFacts(
        **(blank | {"deal_id": "d", "currency": "USD", "created": "2026-01-01"} | given)
    )


def test_facts_do_not_repeat_an_account_the_deal_name_starts_with() -> None:
    facts = _facts(
        name="Acme Corp - Renewal", account="Acme Corp", industry="retail", segment="smb"
    )
    assert facts.lines()[:2] == ["Deal: Acme Corp - Renewal (retail, smb)", "Stage: unknown"]


def test_facts_can_be_cut_to_the_latest_activities_and_first_contacts() -> None:
    facts = _facts(
        name="Acme",
        account="Acme",
        stage="demo",
        buyers=[{"name": n, "title": ""} for n in "ABCD"],
        recent=[{"date": f"2026-03-0{d}", "kind": "call", "summary": "s"} for d in (3, 2, 1)],
    )
    text = "\n".join(facts.lines(recent=2, contacts=3))
    assert "Buyer contacts: A; B; C\n" in text and "D" not in text.split("Buyer contacts")[1]
    assert "2026-03-02" in text and "2026-03-01" not in text
    assert len(facts.lines()) == len(facts.lines(recent=2, contacts=3)) + 1
