"""A fake chat model answering structured-output calls with scripted JSON."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda


class JsonChat(GenericFakeChatModel):
    prompts: list[list[BaseMessage]] = []

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        return self | RunnableLambda(lambda m: schema.model_validate(json.loads(m.text)))

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.prompts.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def json_chat(*answers: dict[str, Any]) -> JsonChat:
    return JsonChat(messages=iter([AIMessage(json.dumps(a)) for a in answers]), prompts=[])
