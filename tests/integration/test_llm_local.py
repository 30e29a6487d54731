"""The embedded backend with the real default model (Qwen2.5-Coder-1.5B Q4_K_M, 2 threads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from agent.chat_models import ChatModelFactory
from agent.settings import AgentSettings

pytestmark = pytest.mark.integration


@tool
def get_deal(name: str) -> str:
    """Look up a deal in the CRM by its name."""
    return name


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return city


class CallSummary(BaseModel):
    """What a sales call tells us."""

    sentiment: Literal["positive", "neutral", "negative"]
    next_step: str = Field(description="the next step the buyer asked for")


@pytest.fixture(scope="module")
def factory() -> Iterator[ChatModelFactory]:
    made = ChatModelFactory(AgentSettings(llm_max_tokens=48))
    yield made
    made.close()


def test_forced_tool_call_then_tool_result(factory: ChatModelFactory) -> None:
    llm = factory.chat_model()
    question = [HumanMessage("What is the status of the Acme renewal deal?")]
    call = llm.bind_tools([get_deal, get_weather], tool_choice="get_deal").invoke(question)

    assert isinstance(call, AIMessage)
    assert [c["name"] for c in call.tool_calls] == ["get_deal"]
    assert "acme" in call.tool_calls[0]["args"]["name"].lower()

    result = ToolMessage(
        '{"stage": "negotiation", "amount": 120000}', tool_call_id=call.tool_calls[0]["id"]
    )
    answer = llm.invoke([*question, call, result])
    assert isinstance(answer.content, str)
    assert "negotiat" in answer.content.lower() or "120" in answer.content


def test_schema_constrained_answer(factory: ChatModelFactory) -> None:
    notes = (
        "Call notes: the buyer loved the demo and said it solves their reporting pain. "
        "She asked us to send pricing by Friday."
    )
    summary = factory.chat_model().with_structured_output(CallSummary).invoke(notes)

    assert isinstance(summary, CallSummary)
    assert summary.sentiment == "positive"
    assert summary.next_step.strip()


def test_streaming_respects_max_tokens(factory: ChatModelFactory) -> None:
    llm = factory.chat_model(max_tokens=8)
    chunks = list(llm.stream("Write a long story about a sales team."))
    full = llm.invoke("Write a long story about a sales team.")

    assert sum(1 for c in chunks if c.content) > 3  # tokens arrive one by one
    assert full.usage_metadata is not None and full.usage_metadata["output_tokens"] <= 8
    assert full.response_metadata["finish_reason"] == "length"


def test_greedy_first_grammar_gives_the_full_checks_output(
    factory: ChatModelFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checking greedy's token first must not change a single constrained answer."""
    from agent import llm_sampling

    made: list[llm_sampling.GreedyFirstGrammar] = []
    original = llm_sampling.GreedyFirstGrammar.__init__

    def record(self: llm_sampling.GreedyFirstGrammar, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(llm_sampling.GreedyFirstGrammar, "__init__", record)
    full = ChatModelFactory(AgentSettings(llm_max_tokens=48, llm_greedy_grammar=False))
    prompts = [
        "Call notes: the buyer loved the demo and asked for pricing by Friday.",
        "Call notes: procurement says the budget is frozen; they will call us next quarter.",
        "Write a haiku about the sales pipeline.",  # free text would not start with '{'
    ]
    try:
        for prompt in prompts:
            lazy_answer = factory.chat_model().with_structured_output(CallSummary).invoke(prompt)
            full_answer = full.chat_model().with_structured_output(CallSummary).invoke(prompt)
            assert lazy_answer == full_answer, prompt
    finally:
        full.close()

    assert len(made) == len(prompts)  # the lazy path ran for every lazy call, never for full
    assert sum(g.checked_one for g in made) > 0
    assert sum(g.checked_all for g in made) > 0  # and it fell back where greedy was refused
