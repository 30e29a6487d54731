"""The embedded backend: a GGUF model run in-process by llama-cpp-python.

One loaded model (:class:`LocalLlama`, ~1 GB, 1.5 s to load) is shared by every chat model a
factory hands out; its lock serialises calls, because a ``llama_cpp.Llama`` holds one KV cache
and is not safe to use from two threads. The model's own chat template (read from the GGUF)
formats prompts, tool definitions and tool results.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ConfigDict

from agent.llm_base import WireChatModel
from agent.llm_errors import LLMError

logger = logging.getLogger(__name__)

LLAMA_CPP_SPEC = "llama-cpp-python==0.3.36"


class LocalLlama:
    """One loaded llama.cpp model plus the lock that serialises calls to it.

    Attributes:
        path: The GGUF file.
        llama: The ``llama_cpp.Llama`` instance.
        lock: Held for the whole of each completion (including streamed ones).
        load_s: Seconds the load took.
    """

    def __init__(
        self,
        llama: Any,
        *,
        path: Path,
        load_s: float = 0.0,
        lock: threading.Lock | None = None,
    ) -> None:
        self.llama = llama
        self.path = path
        self.load_s = load_s
        self.lock = lock or threading.Lock()

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        n_threads: int,
        n_ctx: int,
        flash_attn: bool = False,
        greedy_grammar: bool = True,
        lock: threading.Lock | None = None,
    ) -> LocalLlama:
        """Load a GGUF model with its own chat template.

        Args:
            path: The GGUF file.
            n_threads: CPU threads for prompt reading and generation.
            n_ctx: Context window in tokens.
            flash_attn: Use llama.cpp's flash attention kernels.
            greedy_grammar: Under greedy decoding, check the grammar against the best token
                first and against the whole vocabulary only if it is refused (same output,
                see ``agent.llm_sampling``).
            lock: Share another instance's lock: two contexts over one model file keep
                separate KV caches but never compute at the same time, which on a small CPU
                would only slow both down.

        Raises:
            LLMError: llama-cpp-python is not installed, or the file cannot be loaded.
        """
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise LLMError(
                f"the embedded model needs llama-cpp-python: pip install '{LLAMA_CPP_SPEC}' "
                "(or set KEEL_LLM_URL to use a TGI server)"
            ) from exc
        llama_type: type[Any] = Llama
        if greedy_grammar:
            from agent.llm_sampling import llama_class

            llama_type = llama_class()
        start = time.perf_counter()
        try:
            llama = llama_type(
                model_path=str(path),
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_ctx=n_ctx,
                flash_attn=flash_attn,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise LLMError(f"cannot load model {path}: {exc}") from exc
        load_s = time.perf_counter() - start
        logger.info("loaded %s in %.1f s (%d threads, ctx %d)", path.name, load_s, n_threads, n_ctx)
        return cls(llama, path=path, load_s=load_s, lock=lock)

    def complete(self, payload: dict[str, Any]) -> Mapping[str, Any]:
        """Run one chat completion (blocking; waits for other calls to finish)."""
        with self.lock:
            try:
                result: Mapping[str, Any] = self.llama.create_chat_completion(**payload)
            except ValueError as exc:  # e.g. prompt + max_tokens exceed the context window
                raise LLMError(f"embedded model rejected the request: {exc}") from exc
        return result

    def stream(self, payload: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Yield streamed chat-completion events; the lock is held until the stream ends."""
        with self.lock:
            try:
                yield from self.llama.create_chat_completion(**payload, stream=True)
            except ValueError as exc:
                raise LLMError(f"embedded model rejected the request: {exc}") from exc


async def _iterate_in_thread(
    iterator: Iterator[Mapping[str, Any]],
) -> AsyncIterator[Mapping[str, Any]]:
    """Drive a blocking iterator in a worker thread, handing items to the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def put(kind: str, item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # loop already closed: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, (kind, item))

    def produce() -> None:
        try:
            for item in iterator:
                if stop.is_set():
                    break
                put("item", item)
        except BaseException as exc:  # handed to the consumer, re-raised there
            put("error", exc)
        else:
            put("done", None)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    worker = loop.run_in_executor(None, produce)
    try:
        while True:
            kind, item = await queue.get()
            if kind == "item":
                yield item
            elif kind == "error":
                raise item
            else:
                break
    finally:
        stop.set()
        await asyncio.shield(worker)


class LlamaCppChatModel(WireChatModel):
    """LangChain chat model over an in-process :class:`LocalLlama`.

    Tool calls use the schema strategy and tool-call arguments are sent back as objects (see
    ``agent.llm_wire``). Build it through ``agent.chat_models.ChatModelFactory``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    runtime: LocalLlama

    @property
    def _llm_type(self) -> str:
        return "keel-llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.runtime.path), "max_tokens": self.max_tokens}

    def _send(self, payload: dict[str, Any]) -> Mapping[str, Any]:
        return self.runtime.complete(payload)

    def _send_stream(self, payload: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        return self.runtime.stream(payload)

    async def _asend(self, payload: dict[str, Any]) -> Mapping[str, Any]:
        return await asyncio.to_thread(self.runtime.complete, payload)

    def _asend_stream(self, payload: dict[str, Any]) -> AsyncIterator[Mapping[str, Any]]:
        return _iterate_in_thread(self.runtime.stream(payload))
