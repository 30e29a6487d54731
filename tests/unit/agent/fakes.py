"""A scripted chat model for graph tests: routing answers as JSON, then answer text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda


class ScriptedChat(GenericFakeChatModel):
    """Replays scripted replies in order and records every prompt it was given.

    Streaming goes through ``_generate`` in the base class, so each call is recorded once.
    """

    prompts: list[list[BaseMessage]] = []

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        self.schemas.append(schema)
        return self | RunnableLambda(lambda m: json.loads(m.text))

    schemas: list[Any] = []

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.prompts.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def scripted(*replies: str | dict[str, Any]) -> ScriptedChat:
    """A model answering ``replies`` in order (dicts are routing decisions, sent as JSON)."""
    messages = [AIMessage(json.dumps(r) if isinstance(r, dict) else r) for r in replies]
    return ScriptedChat(messages=iter(messages), prompts=[], schemas=[])
