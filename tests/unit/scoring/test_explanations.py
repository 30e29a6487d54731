"""LLM explanations are kept only when they state the score and invent nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableLambda

from agent.explanations import check_sentence, deal_facts, explain_card, llm_opinion
from agent.prompts.explanations import DealOpinion, parse_explanations
from scoring.cards import DimensionScore, ScoreCard
from scoring.dimensions import DIMENSIONS

CHAMP = DimensionScore(
    "champion",
    38,
    0.8,
    -0.5,
    [
        {
            "feature": "champion_seniority",
            "value": 2.0,
            "text": "the champion is manager-level",
            "effect": -0.5,
        }
    ],
    "template champion",
)
COMP = DimensionScore(
    "competition",
    45,
    0.8,
    -0.2,
    [
        {
            "feature": "competitors_count",
            "value": 1.0,
            "text": "one competitor mentioned",
            "effect": -0.2,
        }
    ],
    "template competition",
)


def _card() -> ScoreCard:
    others = [
        DimensionScore(d, 50, 0.5, 0.0, [], f"template {d}")
        for d in DIMENSIONS
        if d not in ("champion", "competition")
    ]
    dims = sorted([CHAMP, COMP, *others], key=lambda d: DIMENSIONS.index(d.name))
    return ScoreCard.build(deal_id="d1", as_of=datetime(2026, 1, 1, tzinfo=UTC), win_probability=0.3,
                           confidence=0.7, model_version="v1", dimensions=dims, base=-1.0)  # fmt: skip


def _fake(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=text)]))


def test_good_sentences_replace_the_templates() -> None:
    answer = "champion: 38 because the champion is only manager-level.\n- competition: 45 because one competitor is in the deal."
    card, sources = explain_card(_card(), _fake(answer))
    texts = {d.name: d.explanation for d in card.dimensions}
    assert texts["champion"] == "38 because the champion is only manager-level."
    assert sources["champion"] == "llm" and sources["competition"] == "llm"
    assert texts["commercials"] == "template commercials"
    assert sources["commercials"].startswith("template (llm rejected: no line")


def test_invented_numbers_and_foreign_facts_fall_back_to_the_template() -> None:
    answer = (
        "champion: 38 because the champion is manager-level and 70% of deals like it close.\n"
        "competition: 45 because the economic buyer has not been engaged and pricing was discussed."
    )
    card, sources = explain_card(_card(), _fake(answer))
    texts = {d.name: d.explanation for d in card.dimensions}
    assert texts["champion"] == "template champion" and "invented number" in sources["champion"]
    assert (
        texts["competition"] == "template competition" and "not grounded" in sources["competition"]
    )


def test_no_model_or_a_failing_model_keeps_templates() -> None:
    card, sources = explain_card(_card(), None)
    assert card == _card() and set(sources.values()) == {"template"}

    class Broken(GenericFakeChatModel):
        def invoke(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("model gone")

    card, sources = explain_card(_card(), Broken(messages=iter([])))
    assert card == _card() and all("llm failed" in v for v in sources.values())


def test_sentence_checks() -> None:
    assert check_sentence("38 because the champion is manager-level.", CHAMP) is None
    assert "does not state the score" in str(
        check_sentence("The champion is manager-level.", CHAMP)
    )
    assert "invented" in str(
        check_sentence("38/100 because 12 champions are manager-level.", CHAMP)
    )
    assert [
        e.name
        for e in parse_explanations("**champion**: 38 because x\nnoise\nfoo: bar", ["champion"])
    ] == ["champion"]


class _Opinion(BaseChatModel):
    """A fake whose structured output answers a fixed opinion."""

    value: int = 70

    @property
    def _llm_type(self) -> str:
        return "fake-opinion"

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        assert schema is DealOpinion
        return RunnableLambda(lambda _messages: DealOpinion(win_chance_percent=self.value))


def test_llm_opinion_is_a_probability() -> None:
    assert llm_opinion(_Opinion(value=70), {"stage": "proposal"}) == 0.7
    assert llm_opinion(_fake("not json"), {"stage": "proposal"}) is None


def test_deal_facts_are_words() -> None:
    facts = deal_facts(
        {
            "_stage": "proposal",
            "champion_seniority": 4.0,
            "competitor": ["RouteSmart"],
            "segment": "smb",
        }
    )
    assert facts == {
        "stage": "proposal",
        "champion seniority": "the champion is an executive",
        "competitors": "RouteSmart",
        "segment": "smb",
    }
