"""The server backend against a real llama.cpp server, exactly as users reach TGI.

Starts ``python -m llama_cpp.server`` on a free loopback port with the default model and sets
``KEEL_LLM_URL`` to it (``llm_server_kind="llamacpp"``), with huggingface_hub in offline mode.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from typing import Any, Literal

import huggingface_hub
import pytest
from huggingface_hub import set_async_client_factory, set_client_factory
from huggingface_hub.utils._http import default_async_client_factory, default_client_factory
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from agent.chat_models import make_chat_model
from agent.llm_errors import LLMUnavailableError
from agent.model_files import resolve_model
from agent.settings import AgentSettings

pytestmark = pytest.mark.integration


@tool
def get_deal(name: str) -> str:
    """Look up a deal in the CRM by its name."""
    return name


class CallSummary(BaseModel):
    """What a sales call tells us."""

    sentiment: Literal["positive", "neutral", "negative"]
    next_step: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    model = resolve_model(AgentSettings()).path
    port = free_port()
    log = tempfile.TemporaryFile()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model)]
    command += ["--n_threads", "2", "--n_ctx", "4096", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(
                    f"llama_cpp.server exited: {log.read()[-2000:].decode(errors='replace')}"
                )
            try:
                with urllib.request.urlopen(f"{url}/v1/models", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not become ready in 120 s")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """HF_HUB_OFFLINE=1, as on an air-gapped deployment (constants are read at import)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    yield
    set_client_factory(default_client_factory)
    set_async_client_factory(default_async_client_factory)


def settings_for(url: str, **overrides: Any) -> AgentSettings:
    return AgentSettings(llm_url=url, llm_server_kind="llamacpp", llm_max_tokens=48, **overrides)


def test_tool_call_and_tool_result_through_the_server(server_url: str, offline: None) -> None:
    llm = make_chat_model(settings_for(server_url))
    question = [HumanMessage("What is the status of the Acme renewal deal?")]
    call = llm.bind_tools([get_deal], tool_choice="get_deal").invoke(question)

    assert isinstance(call, AIMessage)
    assert call.tool_calls[0]["name"] == "get_deal"
    assert "acme" in call.tool_calls[0]["args"]["name"].lower()

    result = ToolMessage('{"stage": "negotiation"}', tool_call_id=call.tool_calls[0]["id"])
    answer = llm.invoke([*question, call, result])  # the server rejects content=null turns
    assert isinstance(answer.content, str) and answer.content.strip()


def test_schema_constrained_answer_and_async_stream(server_url: str, offline: None) -> None:
    llm = make_chat_model(settings_for(server_url))
    notes = "Call notes: the buyer loved the demo and asked for pricing by Friday."
    summary = llm.with_structured_output(CallSummary).invoke(notes)
    assert isinstance(summary, CallSummary) and summary.sentiment == "positive"

    async def stream() -> list[str]:
        return [str(c.content) async for c in llm.astream("Name three colours.")]

    chunks = asyncio.run(stream())
    assert sum(1 for c in chunks if c) > 3 and "".join(chunks).strip()


def test_server_down_is_a_clear_error(offline: None) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    llm = make_chat_model(settings_for(url, llm_max_retries=1, llm_retry_backoff_s=0.01))
    with pytest.raises(LLMUnavailableError, match=url):
        llm.invoke("hi")
