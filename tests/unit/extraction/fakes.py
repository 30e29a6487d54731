"""A fake chat model for extraction: answers each constrained question with a policy."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import Runnable, RunnableLambda

from agent.llm_errors import LLMOutputError

Policy = Callable[["Asked"], dict[str, Any]]


class Asked:
    """One question as the fake sees it: the prompt text, the activity lines, the options."""

    def __init__(self, messages: list[BaseMessage], schema: dict[str, Any]) -> None:
        self.messages = messages
        self.schema = schema
        self.text = str(messages[-1].content)
        self.system = str(messages[0].content)
        self.question = self.text.rsplit("Question:", 1)[-1]
        self.lines = {int(n): t for n, t in re.findall(r"^\[(\d+)\] (.*)$", self.text, re.M)}
        enum = schema["properties"].get("line", {}).get("enum", [])
        self.options = [n for n in enum if n]

    def is_line_question(self) -> bool:
        return "line" in self.schema["properties"]

    def first_option_with(self, *words: str) -> int:
        for n in self.options:
            if any(w.lower() in self.lines[n].lower() for w in words):
                return n
        return 0


def keyword_policy(
    *,
    champion: tuple[str, ...] = ("keep pushing", "presented", "making the case"),
    budget: tuple[str, ...] = ("budget",),
    meeting: tuple[str, ...] = ("works", "accepted", "booked"),
    case: tuple[str, ...] = ("sent", "circulated"),
    price: tuple[str, ...] = ("$", "EUR", "per year"),
    yes_competitor: bool = True,
) -> Policy:
    """A policy that answers like a careful reader would, by keywords (deterministic)."""

    def answer(q: Asked) -> dict[str, Any]:
        if q.is_line_question():
            key = q.question.lower()
            words = (
                budget
                if "budget" in key and "economic buyer" in key
                else meeting
                if "next meeting" in key
                else case
                if "roi model" in key
                else price
                if "price" in key
                else ()
            )
            return {"line": q.first_option_with(*words)}
        if "competitor" in q.question.lower() or "vendor or option" in q.text:
            return {"answer": "yes" if yes_competitor else "no"}
        if "promoting the purchase" in q.text:
            quote = q.question.split('"')[1] if '"' in q.question else ""
            return {"answer": "yes" if any(w in quote.lower() for w in champion) else "no"}
        return {"answer": "no"}

    return answer


class FakeChat(BaseChatModel):
    """Answers ``with_structured_output`` questions with ``policy``; records every question."""

    policy: Any
    asked: list[Asked] = []
    fail_with: str | None = None

    @property
    def _llm_type(self) -> str:
        return "fake-extraction"

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        raise AssertionError("extraction must only ask schema-constrained questions")

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        def run(messages: list[BaseMessage]) -> Any:
            asked = Asked(list(messages), schema)
            self.asked.append(asked)
            if self.fail_with is not None:
                raise LLMOutputError(self.fail_with, llm_output="{")
            return json.loads(json.dumps(self.policy(asked)))

        return RunnableLambda(run)


def fake(policy: Policy | None = None, **kw: Any) -> FakeChat:
    return FakeChat(policy=policy or keyword_policy(), asked=[], **kw)
