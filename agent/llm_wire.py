"""The OpenAI-style chat wire format shared by both backends: messages out, answers in.

Owns the conversions between LangChain messages and chat-completion dicts, tool schemas and
``tool_choice`` normalisation, and the *schema tool call*: a tool call obtained as a
JSON-schema-constrained answer ``{"name": <tool>, "arguments": {...}}`` (the shape the Qwen
chat template asks for), which small local models fill far better than llama.cpp's native
forced-tool grammar (that one starts the answer at the arguments and the model mixes them up).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    convert_to_openai_messages,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.llm_errors import LLMOutputError

ToolChoice = Literal["auto", "none", "required"] | dict[str, Any] | None
_FENCE = re.compile(r"^\s*(?:```(?:json)?|<tool_call>)\s*(.*?)\s*(?:```|</tool_call>)?\s*$", re.S)


def messages_to_wire(
    messages: Sequence[BaseMessage], *, arguments_as: Literal["string", "object"] = "string"
) -> list[dict[str, Any]]:
    """Convert LangChain messages to chat-completion message dicts.

    Assistant tool-call turns get a string ``content`` (never ``null``: llama.cpp's server
    answers HTTP 500 to that). ``arguments_as="object"`` keeps tool-call arguments as dicts,
    which the embedded backend's Jinja chat template renders as JSON rather than as a quoted
    string.
    """
    wire = convert_to_openai_messages(list(messages), text_format="string")
    out: list[dict[str, Any]] = [wire] if isinstance(wire, dict) else list(wire)
    for message in out:
        if message.get("content") is None:
            message["content"] = ""
        if arguments_as == "object":
            for call in message.get("tool_calls") or []:
                arguments = call["function"].get("arguments")
                if isinstance(arguments, str):
                    call["function"]["arguments"] = _loads_or(arguments, arguments)
    return out


def format_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """Convert tools (LangChain tools, functions, pydantic classes, dicts) to OpenAI tool dicts."""
    return [convert_to_openai_tool(tool) for tool in tools]


def normalize_tool_choice(choice: Any, tools: Sequence[Mapping[str, Any]]) -> ToolChoice:
    """Return ``tool_choice`` in wire form, checking that a named tool is among ``tools``.

    Accepts a tool name, ``"auto"``, ``"none"``, ``"any"``/``"required"``, ``True`` (force the
    only tool), or an OpenAI dict. A required choice with exactly one tool becomes forced.

    Raises:
        ValueError: Unknown tool name, or ``True`` with several tools.
    """
    names = [t["function"]["name"] for t in tools]
    if choice is None or choice in ("auto", "none"):
        return choice  # type: ignore[no-any-return]
    if choice is True or choice in ("any", "required"):
        if len(names) == 1:
            choice = names[0]
        elif choice is True:
            raise ValueError(f"tool_choice=True needs exactly one tool, got {names}")
        else:
            return "required"
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name") or choice.get("name")
    else:
        name = str(choice)
    if name not in names:
        raise ValueError(f"tool_choice {name!r} is not one of the bound tools {names}")
    return {"type": "function", "function": {"name": name}}


def forced_tool_names(choice: ToolChoice, tools: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the tools one of which must be called (empty when calling is optional)."""
    if isinstance(choice, dict):
        return [str(choice["function"]["name"])]
    if choice == "required":
        return [str(t["function"]["name"]) for t in tools]
    return []


def tool_call_schema(tools: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """JSON schema of ``{"name": <one of names>, "arguments": <that tool's parameters>}``."""
    options = []
    for tool in tools:
        function = tool["function"]
        if function["name"] in names:
            options.append(
                {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "const": function["name"]},
                        "arguments": function.get("parameters") or {"type": "object"},
                    },
                    "required": ["name", "arguments"],
                }
            )
    return options[0] if len(options) == 1 else {"oneOf": options}


def _loads_or(text: str, default: Any) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return default


def _new_call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _usage(response: Mapping[str, Any]) -> UsageMetadata | None:
    usage = response.get("usage")
    if not usage:
        return None
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    return UsageMetadata(
        input_tokens=prompt,
        output_tokens=completion,
        total_tokens=int(usage.get("total_tokens") or prompt + completion),
    )


def _cut_note(finish_reason: Any, max_tokens: int) -> str:
    return f" (cut off at max_tokens={max_tokens})" if finish_reason == "length" else ""


def parse_schema_tool_call(text: str, names: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    """Read ``{"name": ..., "arguments": {...}}`` (maybe fenced) as a call of one of ``names``."""
    match = _FENCE.match(text)
    data = _loads_or(match.group(1) if match else text, None)
    if not isinstance(data, dict) or data.get("name") not in names:
        return None
    arguments = data.get("arguments", data.get("parameters", {}))
    if isinstance(arguments, str):
        arguments = _loads_or(arguments, None)
    if not isinstance(arguments, dict):
        return None
    return str(data["name"]), arguments


def response_to_message(
    response: Mapping[str, Any],
    *,
    tool_names: Sequence[str] = (),
    forced: Sequence[str] = (),
    schema_tools: bool = False,
    max_tokens: int,
) -> AIMessage:
    """Turn a chat-completion response into an ``AIMessage`` with parsed ``tool_calls``.

    Args:
        response: The response dict (``choices[0].message`` ...).
        tool_names: Names of the bound tools; a text answer that is exactly a JSON call of one
            of them (what the small model writes under ``tool_choice="auto"``) is read as a call.
        forced: Tools one of which had to be called; if none was, ``LLMOutputError``.
        schema_tools: The call was requested as a schema-constrained JSON answer.
        max_tokens: The limit used, for error messages.

    Raises:
        LLMOutputError: A tool call was required but the answer does not hold a valid one.
    """
    choices = response.get("choices") or []
    if not choices:
        raise LLMOutputError(f"LLM response has no choices: {str(dict(response))[:200]}")
    choice = choices[0]
    message = choice.get("message") or {}
    finish = choice.get("finish_reason")
    content = message.get("content") or ""
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in message.get("tool_calls") or []:
        function = raw.get("function") or {}
        arguments = function.get("arguments")
        parsed = _loads_or(arguments, None) if isinstance(arguments, str) else arguments
        call_id = raw.get("id") or _new_call_id()
        if isinstance(parsed, dict):
            calls.append(ToolCall(name=function.get("name", ""), args=parsed, id=call_id))
        else:
            invalid.append(
                InvalidToolCall(
                    name=function.get("name"),
                    args=str(arguments),
                    id=call_id,
                    error="arguments are not a JSON object",
                    type="invalid_tool_call",
                )
            )
    if not calls and (schema_tools or tool_names):
        found = parse_schema_tool_call(content, list(forced) if schema_tools else list(tool_names))
        if found is not None:
            calls.append(ToolCall(name=found[0], args=found[1], id=_new_call_id()))
            content = ""
    if forced and not any(call["name"] in forced for call in calls):
        raise LLMOutputError(
            f"expected a call of {list(forced)} but the model answered "
            f"{(content or str(message.get('tool_calls')))[:300]!r}{_cut_note(finish, max_tokens)}",
            llm_output=content,
        )
    metadata = {"finish_reason": finish, "model_name": response.get("model")}
    return AIMessage(
        content=content,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=_usage(response),
        response_metadata=metadata,
        id=response.get("id"),
    )


def message_to_chunk(message: AIMessage) -> AIMessageChunk:
    """Return the whole answer as one final chunk (tool-call turns are never streamed)."""
    return AIMessageChunk(
        content=message.content,
        tool_call_chunks=[
            ToolCallChunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=i)
            for i, c in enumerate(message.tool_calls)
        ],
        usage_metadata=message.usage_metadata,
        response_metadata=message.response_metadata,
        id=message.id,
        chunk_position="last",
    )


def delta_to_chunk(event: Mapping[str, Any]) -> AIMessageChunk | None:
    """Convert one streamed chat-completion event to a text chunk (``None`` if it is empty)."""
    choices = event.get("choices") or []
    usage = _usage(event)
    if not choices:
        return AIMessageChunk(content="", usage_metadata=usage) if usage else None
    choice = choices[0]
    text = (choice.get("delta") or {}).get("content") or ""
    finish = choice.get("finish_reason")
    if not text and finish is None and usage is None:
        return None
    metadata = {"finish_reason": finish, "model_name": event.get("model")} if finish else {}
    return AIMessageChunk(
        content=text,
        usage_metadata=usage,
        response_metadata=metadata,
        chunk_position="last" if finish else None,
    )


def parse_json_answer(message: BaseMessage, *, max_tokens: int) -> Any:
    """Parse a schema-constrained answer's text as JSON.

    Raises:
        LLMOutputError: The text is not valid JSON (e.g. cut off at ``max_tokens``).
    """
    text = message.text if isinstance(message.text, str) else str(message.content)
    try:
        return json.loads(text)
    except ValueError as exc:
        finish = message.response_metadata.get("finish_reason")
        raise LLMOutputError(
            f"structured answer is not valid JSON{_cut_note(finish, max_tokens)}: {exc}; "
            f"answer starts {text[:200]!r}",
            llm_output=text,
        ) from exc
