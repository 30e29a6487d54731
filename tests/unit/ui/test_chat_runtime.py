"""Which model the chat's turns use and which the drafts and learning use."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from memory.db import make_engine
from memory.settings import MemorySettings
from ui.chat_runtime import ChatRuntime


def _fake(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(text)]))


class LaneFactory:
    def __init__(self, *, tasks_fail: bool = False) -> None:
        self.tasks_fail = tasks_fail
        self.calls: list[str] = []

    def chat_model(self, *, lane: str = "chat", **_: Any) -> GenericFakeChatModel:
        self.calls.append(lane)
        if lane == "tasks" and self.tasks_fail:
            raise RuntimeError("out of memory")
        return _fake(lane)


def _runtime(factory: Any) -> ChatRuntime:
    return ChatRuntime(
        engine=make_engine("sqlite://"),
        org_id="o",
        memory_settings=MemorySettings(database_url=None),
        model_factory=factory,
    )


def test_drafts_get_their_own_lane_and_the_chat_keeps_its_context() -> None:
    factory = LaneFactory()
    runtime = _runtime(factory)
    chat, tasks = runtime.model(), runtime.task_model()
    assert chat is not None and tasks is not None and chat is not tasks
    assert runtime.task_model() is tasks and factory.calls == ["chat", "tasks"]


def test_a_task_lane_that_cannot_load_shares_the_chat_model() -> None:
    runtime = _runtime(LaneFactory(tasks_fail=True))
    assert runtime.task_model() is runtime.model() is not None


def test_no_model_means_no_task_model_either() -> None:
    assert _runtime(None).task_model() is None
