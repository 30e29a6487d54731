"""The server backend: TGI (or any server speaking its OpenAI-compatible Messages API).

Requests go through huggingface_hub's ``InferenceClient`` / ``AsyncInferenceClient``
(``chat_completion``), the maintained TGI client. Connection errors, timeouts, 429 and 5xx
are retried with exponential backoff (a stream only until its first event); then
``LLMUnavailableError`` names the URL. No local Hugging Face token is ever sent to the
server: only ``KEEL_LLM_API_KEY``, if set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx2
from huggingface_hub import AsyncInferenceClient, InferenceClient
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, TextGenerationError
from pydantic import SecretStr

from agent import llm_offline
from agent.llm_base import WireChatModel
from agent.llm_errors import LLMError, LLMOutputError, LLMUnavailableError

logger = logging.getLogger(__name__)

_NETWORK_ERRORS = (httpx2.HTTPError, HfHubHTTPError, TextGenerationError, OSError)
_CALL_KEYS = ("max_tokens", "temperature", "stop", "seed", "top_p", "tools", "tool_choice")


class InferenceServerChatModel(WireChatModel):
    """LangChain chat model over a TGI-style chat-completion server.

    Attributes:
        base_url: Server URL (``http://host:port`` or ``.../v1``).
        model_name: Model name sent in requests (TGI ignores it; others may need it).
        api_key: Bearer token; never logged.
        timeout_s: Per-request timeout.
        max_retries: Retries after the first attempt.
        retry_backoff_s: First backoff delay, doubled after each failure.
    """

    base_url: str
    model_name: str | None = None
    api_key: SecretStr | None = None
    timeout_s: float = 120.0
    max_retries: int = 3
    retry_backoff_s: float = 0.5

    @property
    def _llm_type(self) -> str:
        return f"keel-server-{self.schema_form}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model_name": self.model_name}

    # --- client construction ----------------------------------------------------------------
    def _client_kwargs(self) -> dict[str, Any]:
        headers: dict[str, Any] = {}
        if llm_offline.allow_llm_server_when_offline():
            headers[llm_offline.MARKER_HEADER] = "1"
        token = self.api_key.get_secret_value() if self.api_key else None
        if token is None:
            # huggingface_hub would otherwise send the user's local HF token to this server;
            # a None header is dropped from the request.
            headers["authorization"] = None
        return {
            "model": self.base_url,
            "token": token,
            "timeout": self.timeout_s,
            "headers": headers,
        }

    def _call_kwargs(self, payload: dict[str, Any], *, stream: bool) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"messages": payload["messages"], "stream": stream}
        kwargs.update({k: payload[k] for k in _CALL_KEYS if payload.get(k) is not None})
        if "response_format" in payload:
            kwargs["response_format"] = payload["response_format"]
        if self.model_name:
            kwargs["model"] = self.model_name
        logger.debug(
            "LLM request to %s: %d messages, max_tokens=%s, tools=%d, stream=%s",
            self.base_url,
            len(payload["messages"]),
            payload.get("max_tokens"),
            len(payload.get("tools") or []),
            stream,
        )
        return kwargs

    # --- error policy -----------------------------------------------------------------------
    def _classify(self, exc: BaseException, attempts: int) -> tuple[bool, LLMError]:
        """Return (retry?, error to raise if not retrying) for a failed request."""
        where = f"LLM server at {self.base_url}"
        if isinstance(exc, OfflineModeIsEnabled):
            return False, LLMUnavailableError(
                f"{where} was blocked by offline mode: {exc}", url=self.base_url
            )
        if isinstance(exc, HfHubHTTPError) and exc.response is not None:
            status = exc.response.status_code
            if status < 500 and status != 429:
                return False, LLMError(f"{where} rejected the request (HTTP {status}): {exc}")
        if isinstance(exc, ValueError):
            return False, LLMOutputError(f"{where} returned a malformed response: {exc}")
        if not isinstance(exc, _NETWORK_ERRORS):
            return False, LLMError(f"{where} failed: {exc}")
        message = f"{where} is unavailable after {attempts} attempt(s): {type(exc).__name__}: {exc}"
        return True, LLMUnavailableError(message, url=self.base_url)

    def _backoff(self, attempt: int, exc: BaseException) -> float:
        delay: float = self.retry_backoff_s * 2**attempt
        logger.warning(
            "LLM server %s: %s; retry %d/%d in %.1f s",
            self.base_url,
            type(exc).__name__,
            attempt + 1,
            self.max_retries,
            delay,
        )
        return delay

    def _failed(
        self, exc: Exception, attempt: int, *, started: bool = False
    ) -> tuple[LLMError | None, float]:
        """Return (error to raise now, or None and the delay before the next attempt).

        A stream that already yielded events is never retried (they cannot be taken back).
        """
        retry, error = self._classify(exc, attempt + 1)
        if not retry or started or attempt >= self.max_retries:
            return error, 0.0
        return None, self._backoff(attempt, exc)

    # --- transport --------------------------------------------------------------------------
    def _send(self, payload: dict[str, Any]) -> Mapping[str, Any]:
        for attempt in range(self.max_retries + 1):
            try:
                with InferenceClient(**self._client_kwargs()) as client:
                    result: Mapping[str, Any] = client.chat_completion(
                        **self._call_kwargs(payload, stream=False)
                    )
                    return result
            except Exception as exc:
                error, delay = self._failed(exc, attempt)
                if error is not None:
                    raise error from exc
                time.sleep(delay)
        raise AssertionError("unreachable")

    async def _asend(self, payload: dict[str, Any]) -> Mapping[str, Any]:
        for attempt in range(self.max_retries + 1):
            try:
                async with AsyncInferenceClient(**self._client_kwargs()) as client:
                    result: Mapping[str, Any] = await client.chat_completion(
                        **self._call_kwargs(payload, stream=False)
                    )
                    return result
            except Exception as exc:
                error, delay = self._failed(exc, attempt)
                if error is not None:
                    raise error from exc
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _send_stream(self, payload: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        for attempt in range(self.max_retries + 1):
            client = InferenceClient(**self._client_kwargs())
            started = False
            try:
                for event in client.chat_completion(**self._call_kwargs(payload, stream=True)):
                    started = True
                    yield event
                return
            except Exception as exc:
                error, delay = self._failed(exc, attempt, started=started)
                if error is not None:
                    raise error from exc
                time.sleep(delay)
            finally:
                client.close()  # type: ignore[no-untyped-call]

    async def _asend_stream(self, payload: dict[str, Any]) -> AsyncIterator[Mapping[str, Any]]:
        for attempt in range(self.max_retries + 1):
            started = False
            try:
                async with AsyncInferenceClient(**self._client_kwargs()) as client:
                    events = await client.chat_completion(**self._call_kwargs(payload, stream=True))
                    async for event in events:
                        started = True
                        yield event
                return
            except Exception as exc:
                error, delay = self._failed(exc, attempt, started=started)
                if error is not None:
                    raise error from exc
                await asyncio.sleep(delay)
