"""Errors raised by Keel's LLM access layer (both backends raise the same types)."""

from __future__ import annotations

from langchain_core.exceptions import OutputParserException


class LLMError(RuntimeError):
    """The language model could not produce an answer."""


class LLMUnavailableError(LLMError):
    """The LLM server cannot be reached (down, timing out, or failing with 5xx after retries).

    Attributes:
        url: The server URL that was tried.
    """

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.url = url


class LLMOutputError(LLMError, OutputParserException):
    """The model answered, but not in the promised form (bad JSON, no forced tool call, cut off).

    Also an ``OutputParserException`` so LangChain's retry/fallback helpers recognise it.
    """

    def __init__(self, message: str, *, llm_output: str | None = None) -> None:
        OutputParserException.__init__(self, message, llm_output=llm_output)
