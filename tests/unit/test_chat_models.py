"""The chat-model factory and both backends, without a model or a socket.

The embedded backend runs over a fake ``llama_cpp.Llama`` (records payloads, replays answers).
The server backend runs through huggingface_hub's real clients with an ``httpx2.MockTransport``
installed via huggingface_hub's documented ``set_client_factory`` hook.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx2
import huggingface_hub
import pytest
from huggingface_hub import get_session, set_async_client_factory, set_client_factory
from huggingface_hub.errors import OfflineModeIsEnabled
from huggingface_hub.utils._http import default_async_client_factory, default_client_factory
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from agent import llm_offline
from agent.chat_models import ChatModelFactory
from agent.llm_errors import LLMError, LLMOutputError, LLMUnavailableError
from agent.llm_local import LlamaCppChatModel, LocalLlama
from agent.llm_server import InferenceServerChatModel
from agent.settings import AgentSettings


@tool
def get_deal(name: str) -> str:
    """Look up a deal by its name."""
    return name


@tool
def get_weather(city: str) -> str:
    """Weather in a city."""
    return city


class Summary(BaseModel):
    sentiment: Literal["positive", "neutral", "negative"]
    next_step: str


def completion(content: str | None, *, finish: str = "stop", **message: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }


def events(texts: list[str]) -> list[dict[str, Any]]:
    out = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "fake",
            "system_fingerprint": "",
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": t}, "finish_reason": None}
            ],
        }
        for t in texts
    ]
    out.append({**out[-1], "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return out


class FakeLlama:
    """Stands in for ``llama_cpp.Llama``: records payloads, replays answers, spots overlap."""

    def __init__(self, *replies: dict[str, Any]) -> None:
        self.replies = list(replies)
        self.payloads: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0

    def create_chat_completion(self, **payload: Any) -> Any:
        self.payloads.append(payload)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        time.sleep(0.02)
        self.active -= 1
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if payload.get("stream"):
            return iter(events(reply["choices"][0]["message"]["content"].split(" ")))
        return reply


def embedded(fake: FakeLlama, **settings: Any) -> LlamaCppChatModel:
    factory = ChatModelFactory(
        AgentSettings(**settings), runtime=LocalLlama(fake, path=Path("fake.gguf"))
    )
    model = factory.chat_model()
    assert isinstance(model, LlamaCppChatModel)
    return model


# --- factory ---------------------------------------------------------------------------------


def test_factory_without_url_shares_one_embedded_model() -> None:
    runtime = LocalLlama(FakeLlama(completion("hi")), path=Path("fake.gguf"))
    factory = ChatModelFactory(AgentSettings(llm_max_tokens=77), runtime=runtime)
    first, second = factory.chat_model(), factory.chat_model(max_tokens=5, temperature=0.3)

    assert factory.backend == "embedded"
    assert isinstance(first, LlamaCppChatModel) and isinstance(second, LlamaCppChatModel)
    assert first.runtime is second.runtime is runtime
    assert (first.max_tokens, second.max_tokens, second.temperature) == (77, 5, 0.3)


@pytest.mark.parametrize(("kind", "strategy"), [("tgi", "native"), ("llamacpp", "schema")])
def test_factory_with_url_builds_the_server_model(kind: str, strategy: str) -> None:
    settings = AgentSettings(
        llm_url="http://tgi:8080", llm_server_kind=kind, llm_api_key="sk-secret", llm_model="m"
    )
    factory = ChatModelFactory(settings)
    model = factory.chat_model()

    assert factory.backend == "server"
    assert isinstance(model, InferenceServerChatModel)
    assert (model.schema_form, model.tool_strategy, model.model_name) == (kind, strategy, "m")
    assert "sk-secret" not in repr(model) and "sk-secret" not in repr(settings)


def test_settings_read_keel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEEL_LLM_URL", "http://h:1")
    monkeypatch.setenv("KEEL_LLM_MODEL", "/m.gguf")
    monkeypatch.setenv("KEEL_LLM_SERVER_KIND", "llamacpp")
    settings = AgentSettings()
    assert (settings.llm_url, settings.llm_model, settings.llm_server_kind) == (
        "http://h:1",
        "/m.gguf",
        "llamacpp",
    )


def test_missing_llama_cpp_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(LLMError, match="llama-cpp-python==0.3.36"):
        LocalLlama.load(Path("x.gguf"), n_threads=1, n_ctx=512)


# --- embedded backend ------------------------------------------------------------------------


def test_plain_call_always_sends_max_tokens() -> None:
    fake = FakeLlama(completion("Hello there"))
    answer = embedded(fake, llm_max_tokens=42).invoke("hi")

    assert answer.content == "Hello there"
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] == 3
    assert fake.payloads[0]["max_tokens"] == 42
    assert fake.payloads[0]["temperature"] == 0.0
    assert fake.payloads[0]["messages"] == [{"role": "user", "content": "hi"}]


def test_stream_and_astream_yield_tokens() -> None:
    model = embedded(FakeLlama(completion("one two three")))
    chunks = [str(c.content) for c in model.stream("count")]

    async def collect() -> list[Any]:
        return [c.content async for c in model.astream("count")]

    assert "".join(chunks) == "onetwothree"
    assert [c for c in chunks if c] == ["one", "two", "three"]
    assert "".join(asyncio.run(collect())) == "onetwothree"


def test_forced_tool_is_a_schema_constrained_call() -> None:
    fake = FakeLlama(completion('{"name": "get_deal", "arguments": {"name": "Acme"}}'))
    bound = embedded(fake).bind_tools([get_deal, get_weather], tool_choice="get_deal")
    answer = bound.invoke("status of Acme?")

    assert isinstance(answer, AIMessage)
    assert [(c["name"], c["args"]) for c in answer.tool_calls] == [("get_deal", {"name": "Acme"})]
    assert answer.content == ""
    payload = fake.payloads[0]
    assert "tool_choice" not in payload
    assert [t["function"]["name"] for t in payload["tools"]] == ["get_deal", "get_weather"]
    schema = payload["response_format"]["schema"]
    assert payload["response_format"]["type"] == "json_object"
    assert schema["properties"]["name"]["const"] == "get_deal"
    assert schema["properties"]["arguments"]["properties"] == {"name": {"type": "string"}}


def test_any_tool_choice_offers_every_tool() -> None:
    fake = FakeLlama(completion('{"name": "get_weather", "arguments": {"city": "Oslo"}}'))
    answer = embedded(fake).bind_tools([get_deal, get_weather], tool_choice="any").invoke("rain?")

    options = fake.payloads[0]["response_format"]["schema"]["oneOf"]
    assert [o["properties"]["name"]["const"] for o in options] == ["get_deal", "get_weather"]
    assert answer.tool_calls[0]["args"] == {"city": "Oslo"}


@pytest.mark.parametrize(
    ("content", "finish", "needle"),
    [
        ("I cannot help", "stop", "expected a call of ['get_deal']"),
        ('{"name": "get_de', "length", "max_tokens=9"),
    ],
)
def test_forced_tool_without_a_call_raises(content: str, finish: str, needle: str) -> None:
    model = embedded(FakeLlama(completion(content, finish=finish)), llm_max_tokens=9)
    with pytest.raises(LLMOutputError) as info:
        model.bind_tools([get_deal], tool_choice="get_deal").invoke("x")
    assert needle in str(info.value)


def test_unknown_tool_choice_is_rejected() -> None:
    model = embedded(FakeLlama(completion("x")))
    with pytest.raises(ValueError, match="'send_email' is not one of the bound tools"):
        model.bind_tools([get_deal], tool_choice="send_email")


def test_auto_recovers_a_call_written_as_text_and_keeps_prose() -> None:
    fenced = '```json\n{"name": "get_deal", "arguments": {"name": "Acme"}}\n```'
    fake = FakeLlama(completion(fenced), completion("It is in negotiation."))
    bound = embedded(fake).bind_tools([get_deal])

    first, second = bound.invoke("a"), bound.invoke("b")
    assert first.tool_calls[0]["args"] == {"name": "Acme"} and first.content == ""
    assert second.tool_calls == [] and second.content == "It is in negotiation."
    assert "response_format" not in fake.payloads[0]


def test_tool_turns_are_not_streamed() -> None:
    fake = FakeLlama(completion('{"name": "get_deal", "arguments": {"name": "Acme"}}'))
    streamed = list(embedded(fake).bind_tools([get_deal], tool_choice="get_deal").stream("x"))
    chunks = [c for c in streamed if isinstance(c, AIMessageChunk)]

    assert len(chunks) == len(streamed)
    assert "stream" not in fake.payloads[0]
    assert chunks[0].tool_call_chunks[0]["name"] == "get_deal"
    assert sum(len(c.tool_call_chunks) for c in chunks) == 1


def test_structured_output_sends_the_schema_and_validates() -> None:
    fake = FakeLlama(completion('{"sentiment": "positive", "next_step": "send pricing"}'))
    result = embedded(fake).with_structured_output(Summary).invoke("notes")

    assert result == Summary(sentiment="positive", next_step="send pricing")
    assert fake.payloads[0]["response_format"] == {
        "type": "json_object",
        "schema": Summary.model_json_schema(),
    }


@pytest.mark.parametrize(
    ("content", "finish", "needle"),
    [
        ('{"sentiment": "posi', "length", "cut off at max_tokens"),
        ('{"sentiment": "great", "next_step": "x"}', "stop", "does not fit Summary"),
    ],
)
def test_structured_output_errors_are_clear(content: str, finish: str, needle: str) -> None:
    model = embedded(FakeLlama(completion(content, finish=finish)))
    with pytest.raises(LLMOutputError, match=needle):
        model.with_structured_output(Summary).invoke("notes")
    raw = model.with_structured_output(Summary, include_raw=True).invoke("notes")
    assert isinstance(raw, dict)
    assert raw["parsed"] is None and isinstance(raw["parsing_error"], LLMOutputError)


def test_tool_results_go_back_as_tool_turns_with_string_content() -> None:
    fake = FakeLlama(completion("Acme is in negotiation."))
    history = [
        HumanMessage("status of Acme?"),
        AIMessage("", tool_calls=[{"name": "get_deal", "args": {"name": "Acme"}, "id": "c1"}]),
        ToolMessage('{"stage": "negotiation"}', tool_call_id="c1"),
    ]
    embedded(fake).invoke(history)

    assistant, tool_turn = fake.payloads[0]["messages"][1:]
    assert assistant["content"] == ""
    assert assistant["tool_calls"][0]["function"]["arguments"] == {"name": "Acme"}
    assert tool_turn == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": '{"stage": "negotiation"}',
    }


def test_concurrent_calls_are_serialised() -> None:
    fake = FakeLlama(completion("ok"))
    model = embedded(fake)
    threads = [threading.Thread(target=model.invoke, args=("hi",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def both() -> None:
        await asyncio.gather(model.ainvoke("a"), model.ainvoke("b"))

    asyncio.run(both())
    assert len(fake.payloads) == 6
    assert fake.max_active == 1


def test_unsupported_options_are_rejected() -> None:
    with pytest.raises(TypeError, match="logit_bias"):
        embedded(FakeLlama(completion("x"))).invoke("hi", logit_bias={1: 2})


# --- server backend --------------------------------------------------------------------------

Handler = Callable[[httpx2.Request], httpx2.Response]


class Server:
    """Scripted responses for requests to the LLM host; the Hub host gets 404."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.script: list[Handler] = []

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.host != "llm.test":
            return httpx2.Response(404)
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        return step(request)

    def body(self, index: int = -1) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.requests[index].content)
        return data


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_TELEMETRY", True)
    fake = Server()
    transport = httpx2.MockTransport(fake.handle)
    set_client_factory(
        lambda: httpx2.Client(
            transport=transport, event_hooks={"request": [llm_offline.request_hook]}
        )
    )
    set_async_client_factory(
        lambda: httpx2.AsyncClient(
            transport=transport, event_hooks={"request": [llm_offline.async_request_hook]}
        )
    )
    yield fake
    set_client_factory(default_client_factory)
    set_async_client_factory(default_async_client_factory)


def reply(data: dict[str, Any], status: int = 200) -> Handler:
    return lambda request: httpx2.Response(status, json=data)


def sse(texts: list[str]) -> Handler:
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events(texts)) + "data: [DONE]\n\n"
    return lambda request: httpx2.Response(
        200, content=body.encode(), headers={"content-type": "text/event-stream"}
    )


def unavailable(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(503, json={"error": "overloaded"})


def refused(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


def remote(kind: str = "tgi", **overrides: Any) -> InferenceServerChatModel:
    settings = AgentSettings(
        llm_url="http://llm.test:8080",
        llm_server_kind=kind,
        llm_retry_backoff_s=0,
        llm_max_retries=2,
        llm_max_tokens=33,
        **overrides,
    )
    model = ChatModelFactory(settings).chat_model()
    assert isinstance(model, InferenceServerChatModel)
    return model


def test_tgi_structured_output_uses_the_value_form(server: Server) -> None:
    server.script = [reply(completion('{"sentiment": "neutral", "next_step": "call"}'))]
    result = remote("tgi").with_structured_output(Summary).invoke("notes")

    assert result == Summary(sentiment="neutral", next_step="call")
    body = server.body()
    assert str(server.requests[0].url) == "http://llm.test:8080/v1/chat/completions"
    assert body["response_format"] == {"type": "json_object", "value": Summary.model_json_schema()}
    assert body["max_tokens"] == 33


def test_tgi_forced_tool_uses_native_tool_choice(server: Server) -> None:
    call = {
        "id": "t1",
        "type": "function",
        "function": {"name": "get_deal", "arguments": {"name": "Acme"}},
    }
    server.script = [reply(completion(None, finish="tool_calls", tool_calls=[call]))]
    answer = remote("tgi").bind_tools([get_deal], tool_choice="get_deal").invoke("Acme?")

    assert answer.tool_calls == [
        {"name": "get_deal", "args": {"name": "Acme"}, "id": "t1", "type": "tool_call"}
    ]
    body = server.body()
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_deal"}}
    assert "response_format" not in body


def test_llamacpp_server_gets_the_schema_form(server: Server) -> None:
    server.script = [reply(completion('{"name": "get_deal", "arguments": {"name": "Acme"}}'))]
    answer = remote("llamacpp").bind_tools([get_deal], tool_choice="get_deal").invoke("Acme?")

    assert answer.tool_calls[0]["args"] == {"name": "Acme"}
    fmt = server.body()["response_format"]
    assert (
        fmt["type"] == "json_object" and fmt["schema"]["properties"]["name"]["const"] == "get_deal"
    )
    assert "tool_choice" not in server.body()


def test_local_hf_token_is_never_sent_but_the_api_key_is(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_local_secret")
    server.script = [reply(completion("hi"))]
    remote().invoke("hi")
    remote(llm_api_key="sk-keel").invoke("hi")

    assert "authorization" not in server.requests[0].headers
    assert server.requests[1].headers["authorization"] == "Bearer sk-keel"


def test_5xx_is_retried_then_succeeds(server: Server) -> None:
    server.script = [unavailable, unavailable, reply(completion("finally"))]
    assert remote().invoke("hi").content == "finally"
    assert len(server.requests) == 3


def test_async_retries_too(server: Server) -> None:
    server.script = [unavailable, reply(completion("async ok"))]
    assert asyncio.run(remote().ainvoke("hi")).content == "async ok"
    assert len(server.requests) == 2


def test_server_down_names_the_url_and_hides_the_key(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    server.script = [refused]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LLMUnavailableError) as info:
        remote(llm_api_key="sk-hidden").invoke("secret prompt text")

    assert info.value.url == "http://llm.test:8080"
    assert "http://llm.test:8080" in str(info.value) and "3 attempt(s)" in str(info.value)
    assert len(server.requests) == 3
    assert "sk-hidden" not in caplog.text and "secret prompt text" not in caplog.text


def test_client_errors_are_not_retried(server: Server) -> None:
    server.script = [reply({"error": "bad schema"}, status=400)]
    with pytest.raises(LLMError) as info:
        remote().invoke("hi")
    assert not isinstance(info.value, LLMUnavailableError)
    assert "HTTP 400" in str(info.value)
    assert len(server.requests) == 1


def test_malformed_server_output_is_an_output_error(server: Server) -> None:
    server.script = [lambda request: httpx2.Response(200, content=b"<html>oops</html>")]
    with pytest.raises(LLMOutputError, match="malformed"):
        remote().invoke("hi")


def test_server_streaming_sync_and_async(server: Server) -> None:
    server.script = [unavailable, sse(["Hel", "lo"])]
    model = remote()
    assert "".join(str(c.content) for c in model.stream("hi")) == "Hello"
    assert server.body(0)["stream"] is True and server.body(0)["max_tokens"] == 33

    async def collect() -> str:
        return "".join([str(c.content) async for c in model.astream("hi")])

    assert asyncio.run(collect()) == "Hello"


def test_offline_mode_lets_only_the_llm_server_through(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    server.script = [reply(completion("offline ok"))]

    assert remote().invoke("hi").content == "offline ok"
    assert asyncio.run(remote().ainvoke("hi")).content == "offline ok"
    assert all(llm_offline.MARKER_HEADER not in r.headers for r in server.requests)
    with pytest.raises(OfflineModeIsEnabled):
        get_session().get("https://huggingface.co/api/models")


def test_offline_hooks_are_installed_once_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    set_client_factory(default_client_factory)
    try:
        assert llm_offline.allow_llm_server_when_offline() is True
        session = get_session()
        assert llm_offline.request_hook in session.event_hooks["request"]
        assert llm_offline.allow_llm_server_when_offline() is True
        assert get_session() is session  # not reinstalled
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        assert llm_offline.allow_llm_server_when_offline() is False
    finally:
        set_client_factory(default_client_factory)
        set_async_client_factory(default_async_client_factory)


def _lane_factory(
    monkeypatch: pytest.MonkeyPatch, **settings: Any
) -> tuple[ChatModelFactory, LocalLlama, list[dict[str, Any]]]:
    chat = LocalLlama(FakeLlama(completion("hi")), path=Path("fake.gguf"))
    loads: list[dict[str, Any]] = []

    def load(path: Path, **kwargs: Any) -> LocalLlama:
        loads.append({"path": path, **kwargs})
        return LocalLlama(FakeLlama(completion("task")), path=path, lock=kwargs["lock"])

    monkeypatch.setattr(LocalLlama, "load", staticmethod(load))
    return ChatModelFactory(AgentSettings(**settings), runtime=chat), chat, loads


def test_task_lane_is_a_second_context_sharing_the_file_and_the_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory, chat, loads = _lane_factory(monkeypatch, llm_task_lane=True)
    tasks = factory.runtime("tasks")
    assert tasks is not chat and tasks.lock is chat.lock
    assert loads == [
        {
            "path": Path("fake.gguf"),
            "n_threads": 2,
            "n_ctx": 8192,
            "flash_attn": False,
            "greedy_grammar": True,
            "lock": chat.lock,
        }
    ]
    assert factory.runtime("tasks") is tasks and len(loads) == 1  # loaded once
    assert factory.chat_model(lane="tasks").invoke("x").text == "task"
    assert factory.chat_model().invoke("x").text == "hi"


def test_without_a_task_lane_every_caller_shares_the_chat_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory, chat, loads = _lane_factory(monkeypatch)  # the default
    assert factory.runtime("tasks") is chat and loads == []
