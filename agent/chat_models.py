"""The chat-model factory: one place that turns ``AgentSettings`` into LangChain chat models.

``KEEL_LLM_URL`` unset -> the embedded GGUF model in-process (llama-cpp-python); set -> a TGI
server (or one speaking TGI's Messages API) through huggingface_hub. Both backends give the
same behaviour: token streaming, forced tool calls, JSON-schema constrained
``with_structured_output``, tool-result turns, ``max_tokens`` on every call, and the errors
in ``agent.llm_errors``. See ``agent.llm_base`` for how to route between tools reliably.

Construct one :class:`ChatModelFactory` at the edge (CLI, app, worker, test) and pass it in:
it loads the embedded model once and every chat model it hands out shares it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

from langchain_core.language_models import BaseChatModel

from agent.llm_local import LlamaCppChatModel, LocalLlama
from agent.llm_server import InferenceServerChatModel
from agent.model_files import ModelFile, resolve_model
from agent.settings import AgentSettings

__all__ = ["ChatModelFactory", "ChatModelProvider", "Lane", "make_chat_model"]

Lane = Literal["chat", "tasks"]
"""Which embedded context serves a model: the chat's turns, or everything else."""


class ChatModelProvider(Protocol):
    """Narrow interface for code that needs chat models (tests pass fakes)."""

    def chat_model(
        self, *, max_tokens: int | None = None, temperature: float | None = None
    ) -> BaseChatModel:
        """Return a chat model; ``None`` options mean the configured defaults."""
        ...


class ChatModelFactory:
    """Builds chat models from settings and owns the loaded embedded model.

    Args:
        settings: The agent settings.
        search_path: Where to look for model part packages (``None`` = installed packages).
        runtime: An already loaded embedded model to share (``None`` = load on first use).

    The embedded model can serve two lanes: ``"chat"`` (routing, answers and drafts, which all
    start with the chat's system prompt and reuse its cached prefix) and ``"tasks"`` (work
    with prompts of its own, such as the learning loop). With ``llm_task_lane`` each lane has
    its own context over the same weights; without it (the default) they share one.
    """

    def __init__(
        self,
        settings: AgentSettings,
        *,
        search_path: Sequence[str | Path] | None = None,
        runtime: LocalLlama | None = None,
    ) -> None:
        self.settings = settings
        self._search_path = search_path
        self._runtimes: dict[Lane, LocalLlama] = {} if runtime is None else {"chat": runtime}
        self._load_lock = threading.Lock()

    @property
    def backend(self) -> Literal["embedded", "server"]:
        """``"server"`` when ``llm_url`` is set, else ``"embedded"``."""
        return "server" if self.settings.llm_url else "embedded"

    def model_file(self, *, full_verify: bool = False) -> ModelFile:
        """Return the verified GGUF file of the embedded backend (assembling it if needed)."""
        return resolve_model(self.settings, search_path=self._search_path, full_verify=full_verify)

    def runtime(self, lane: Lane = "chat") -> LocalLlama:
        """Return the loaded embedded model of ``lane``, loading it on first use (thread-safe)."""
        with self._load_lock:
            s = self.settings
            if lane == "tasks" and not s.llm_task_lane:
                lane = "chat"
            if lane not in self._runtimes:
                other = next(iter(self._runtimes.values()), None)
                self._runtimes[lane] = LocalLlama.load(
                    other.path if other else self.model_file().path,
                    n_threads=s.llm_threads,
                    n_ctx=s.llm_ctx,
                    flash_attn=s.llm_flash_attn,
                    greedy_grammar=s.llm_greedy_grammar,
                    lock=other.lock if other else None,
                )
            return self._runtimes[lane]

    def chat_model(
        self,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        lane: Lane = "chat",
    ) -> BaseChatModel:
        """Return a chat model for the configured backend.

        Args:
            max_tokens: Output limit for this model's calls (default ``llm_max_tokens``).
            temperature: Sampling temperature (default ``llm_temperature``).
            lane: The embedded context to use (ignored by the server backend).

        Raises:
            agent.model_files.ModelFileError: The embedded model file is missing or corrupt.
            agent.llm_errors.LLMError: llama-cpp-python is missing or cannot load the model.
        """
        s = self.settings
        limit = max_tokens if max_tokens is not None else s.llm_max_tokens
        temp = temperature if temperature is not None else s.llm_temperature
        if s.llm_url:
            return InferenceServerChatModel(
                base_url=s.llm_url,
                model_name=s.llm_model,
                api_key=s.llm_api_key,
                timeout_s=s.llm_timeout_s,
                max_retries=s.llm_max_retries,
                retry_backoff_s=s.llm_retry_backoff_s,
                max_tokens=limit,
                temperature=temp,
                schema_form=s.llm_server_kind,
                tool_strategy="native" if s.llm_server_kind == "tgi" else "schema",
            )
        return LlamaCppChatModel(
            runtime=self.runtime(lane),
            max_tokens=limit,
            temperature=temp,
            schema_form="llamacpp",
            tool_strategy="schema",
            arguments_as="object",
        )

    def close(self) -> None:
        """Free the embedded model (the next ``chat_model`` call loads it again)."""
        with self._load_lock:
            for runtime in self._runtimes.values():
                close = getattr(runtime.llama, "close", None)
                if close is not None:
                    close()
            self._runtimes.clear()


def make_chat_model(settings: AgentSettings) -> BaseChatModel:
    """Return a chat model for ``settings`` (a new factory: the embedded model loads once per call).

    Code that needs several chat models should hold one :class:`ChatModelFactory` instead.
    """
    return ChatModelFactory(settings).chat_model()
