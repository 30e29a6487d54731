"""The LangChain chat model both backends share: request building, tools, structured output.

A backend subclass only moves payload dicts: ``_send`` / ``_send_stream`` (and async
variants). Everything callers rely on (max_tokens always sent, forced tool calls, JSON-schema
constrained structured output, no streaming of tool-call turns, the same errors) lives here,
so the embedded model and a server behave the same.

Tool calling: a *forced* choice (``tool_choice="<name>"``, or ``"any"``/``"required"``) is
reliable. ``tool_choice="auto"`` is not with the small local model: it usually writes the call
as JSON text (recovered here when it is exactly a call of a bound tool) or answers in prose.
Route in a separate constrained step (e.g. ``with_structured_output`` of a schema whose tool
name is an enum), then force the chosen tool; give the final answer step no tools.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, Field, ValidationError

from agent import llm_wire
from agent.llm_errors import LLMOutputError

_IGNORED_OPTIONS = {"parallel_tool_calls", "strict"}
_PASSED_OPTIONS = {"max_tokens", "temperature", "stop", "seed", "top_p", "response_format"}


@dataclass
class WireRequest:
    """A prepared call: the payload plus what the answer must contain."""

    payload: dict[str, Any]
    tool_names: list[str] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)
    schema_tools: bool = False


class WireChatModel(BaseChatModel):
    """Chat model speaking the OpenAI-style chat-completion format (abstract transport).

    Attributes:
        max_tokens: Default output limit; every request carries a ``max_tokens``.
        temperature: Default sampling temperature.
        tool_strategy: ``"schema"`` asks for tool calls as schema-constrained JSON (llama.cpp);
            ``"native"`` sends ``tools``/``tool_choice`` and trusts the server (TGI).
        schema_form: Wire form of a JSON schema: ``"llamacpp"`` -> ``{"type": "json_object",
            "schema": s}``; ``"tgi"`` -> ``{"type": "json_object", "value": s}``.
        arguments_as: How tool-call arguments of earlier turns are sent back.
    """

    max_tokens: int = Field(default=512, ge=1)
    temperature: float = 0.0
    tool_strategy: Literal["schema", "native"] = "schema"
    schema_form: Literal["llamacpp", "tgi"] = "llamacpp"
    arguments_as: Literal["string", "object"] = "string"

    # --- transport, implemented by backends -------------------------------------------------
    def _send(self, payload: dict[str, Any]) -> Mapping[str, Any]:
        raise NotImplementedError

    def _send_stream(self, payload: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        raise NotImplementedError

    async def _asend(self, payload: dict[str, Any]) -> Mapping[str, Any]:
        raise NotImplementedError

    def _asend_stream(self, payload: dict[str, Any]) -> AsyncIterator[Mapping[str, Any]]:
        raise NotImplementedError

    # --- request building -------------------------------------------------------------------
    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        key = "schema" if self.schema_form == "llamacpp" else "value"
        return {"type": "json_object", key: schema}

    def _prepare(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> WireRequest:
        options = {k: v for k, v in kwargs.items() if not k.startswith("ls_")}
        tools: list[dict[str, Any]] = options.pop("tools", None) or []
        choice: llm_wire.ToolChoice = options.pop("tool_choice", None)
        schema: dict[str, Any] | None = options.pop("response_schema", None)
        unknown = set(options) - _PASSED_OPTIONS - _IGNORED_OPTIONS
        if unknown:
            raise TypeError(f"unsupported option(s) {sorted(unknown)} for {self._llm_type}")
        payload: dict[str, Any] = {
            "messages": llm_wire.messages_to_wire(messages, arguments_as=self.arguments_as),
            "max_tokens": int(options.get("max_tokens") or self.max_tokens),
            "temperature": options.get("temperature", self.temperature),
        }
        for key in ("seed", "top_p", "response_format"):
            if options.get(key) is not None:
                payload[key] = options[key]
        if stop or options.get("stop"):
            payload["stop"] = stop or options["stop"]
        if schema is not None:
            payload["response_format"] = self._response_format(schema)
        request = WireRequest(payload)
        if tools and choice != "none":
            payload["tools"] = tools
            request.tool_names = [t["function"]["name"] for t in tools]
            request.forced = llm_wire.forced_tool_names(choice, tools)
            if request.forced and self.tool_strategy == "schema":
                schema_tools = llm_wire.tool_call_schema(tools, request.forced)
                payload["response_format"] = self._response_format(schema_tools)
                request.schema_tools = True
            elif choice is not None:
                payload["tool_choice"] = choice
        return request

    def _to_message(self, request: WireRequest, response: Mapping[str, Any]) -> AIMessage:
        return llm_wire.response_to_message(
            response,
            tool_names=request.tool_names,
            forced=request.forced,
            schema_tools=request.schema_tools,
            max_tokens=request.payload["max_tokens"],
        )

    # --- LangChain entry points -------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._prepare(messages, stop, kwargs)
        message = self._to_message(request, self._send(request.payload))
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._prepare(messages, stop, kwargs)
        message = self._to_message(request, await self._asend(request.payload))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._prepare(messages, stop, kwargs)
        if request.tool_names:  # tool-call turns are answered whole, never streamed
            message = self._to_message(request, self._send(request.payload))
            yield ChatGenerationChunk(message=llm_wire.message_to_chunk(message))
            return
        for event in self._send_stream(request.payload):
            chunk = llm_wire.delta_to_chunk(event)
            if chunk is not None:  # the base class reports tokens to callbacks
                yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request = self._prepare(messages, stop, kwargs)
        if request.tool_names:
            message = self._to_message(request, await self._asend(request.payload))
            yield ChatGenerationChunk(message=llm_wire.message_to_chunk(message))
            return
        async for event in self._asend_stream(request.payload):
            chunk = llm_wire.delta_to_chunk(event)
            if chunk is not None:
                yield ChatGenerationChunk(message=chunk)

    # --- tools and structured output --------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; ``tool_choice`` is a tool name (forced), ``"any"``, ``"auto"`` or ``"none"``.

        Only a forced choice is reliable with small local models (see the module docstring).
        A forced call that does not come back raises ``LLMOutputError``.

        Raises:
            ValueError: ``tool_choice`` names a tool that is not bound.
        """
        formatted = llm_wire.format_tools(tools)
        choice = llm_wire.normalize_tool_choice(tool_choice, formatted)
        return self.bind(tools=formatted, tool_choice=choice, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        method: Literal["json_schema"] = "json_schema",
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answer with JSON constrained by the schema's grammar (real constrained decoding).

        Args:
            schema: A pydantic class (answers are validated instances), a TypedDict or a JSON
                schema dict (answers are dicts).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising.
            method: Only ``"json_schema"`` (``response_format``) is supported.
            **kwargs: Extra options bound to the model (e.g. ``max_tokens``).

        Raises:
            ValueError: Unsupported ``method``.
        """
        if method != "json_schema":
            raise ValueError(f"method={method!r} is not supported; use 'json_schema'")
        is_pydantic = isinstance(schema, type) and issubclass(schema, BaseModel)
        json_schema = (
            schema.model_json_schema()
            if isinstance(schema, type) and issubclass(schema, BaseModel)
            else convert_to_json_schema(schema)
        )
        bound = self.bind(response_schema=json_schema, **kwargs)
        limit = int(kwargs.get("max_tokens") or self.max_tokens)

        def parse(message: BaseMessage) -> dict[str, Any] | BaseModel:
            data = llm_wire.parse_json_answer(message, max_tokens=limit)
            if not is_pydantic:
                return data  # type: ignore[no-any-return]
            try:
                validated: BaseModel = schema.model_validate(data)  # type: ignore[union-attr]
                return validated
            except ValidationError as exc:
                raise LLMOutputError(
                    f"structured answer does not fit {schema.__name__}: {exc}",  # type: ignore[union-attr]
                    llm_output=message.text,
                ) from exc

        def parse_with_raw(message: BaseMessage) -> dict[str, Any]:
            try:
                return {"raw": message, "parsed": parse(message), "parsing_error": None}
            except LLMOutputError as exc:
                return {"raw": message, "parsed": None, "parsing_error": exc}

        return bound | RunnableLambda(parse_with_raw if include_raw else parse)
