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


class Recorder(GenericFakeChatModel):
    seen: list[Any] = []

    def _generate(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        self.seen.append((messages, kwargs))
        return super()._generate(messages, *args, **kwargs)


def test_warm_up_reads_the_static_system_prompt_once() -> None:
    from agent.prompts.agent import static_system_prompt
    from tools.registry import TOOLS

    model = Recorder(messages=iter([AIMessage("ok")]), seen=[])
    runtime = _runtime(None)
    runtime._model = model
    runtime.warm_up()
    [(messages, kwargs)] = model.seen
    assert [m.content for m in messages] == [static_system_prompt(TOOLS)]
    assert kwargs.get("max_tokens") == 1


def test_warm_up_without_a_model_does_nothing() -> None:
    runtime = _runtime(None)
    runtime.warm_up()  # must not raise: the chat still works on the tools' own words
    assert runtime.model() is None and runtime.model_error is None
