"""Benchmark of the embedded LLM through Keel's chat-model layer.

Loads the configured embedded model (default: Qwen2.5-Coder-1.5B Q4_K_M) through
:class:`agent.chat_models.ChatModelFactory` and times what users feel: model load, time to
the first streamed token on a cold ~300-token prompt and on the same prompt again (llama.cpp
reuses the cached prefix), decode and prompt-reading speed, and JSON-schema constrained
generation (grammar sampling is slower than free text).
"""

from __future__ import annotations

import os
import time
from typing import Any

from pydantic import BaseModel, Field

from agent.chat_models import ChatModelFactory
from agent.settings import AgentSettings

_NOTES = (
    "Call notes, Acme Corp renewal. Attendees: Dana Lee (VP Operations, buyer), Sam Ortiz "
    "(IT lead, buyer), Kim Park (account executive, seller). Dana said the reporting module "
    "saved her team about ten hours a week and she wants to expand to the finance team. Sam "
    "raised concerns about single sign-on and asked for the security questionnaire to be "
    "completed before legal review. Budget was approved for the next fiscal year, but the CFO "
    "still has to sign the order form. Competitor Globex offered a twenty percent discount. "
    "Dana asked for a revised quote with finance seats by Friday and a reference call with a "
    "customer in logistics. Next meeting is planned for the 14th with procurement. Kim agreed "
    "to send the quote, schedule the reference call, and loop in the solutions engineer to "
    "answer the single sign-on questions. Risks: procurement cycle, competitor pricing, CFO "
    "availability during quarter close."
)


class _Risks(BaseModel):
    """Deal risks named in a call."""

    risks: list[str] = Field(description="short risk phrases")
    next_meeting: str


def _stream_timed(llm: Any, prompt: str) -> tuple[float, float, str]:
    """Return (seconds to first token, total seconds, text) of one streamed answer."""
    start = time.perf_counter()
    first = 0.0
    parts: list[str] = []
    for chunk in llm.stream(prompt):
        if chunk.content and not first:
            first = time.perf_counter() - start
        parts.append(str(chunk.content))
    return first, time.perf_counter() - start, "".join(parts)


def run(*, max_tokens: int = 100, settings: AgentSettings | None = None) -> dict[str, Any]:
    """Run the benchmark and return ``{"metrics": {...}, "config": {...}}``.

    Args:
        max_tokens: Output tokens per timed answer.
        settings: Agent settings (default: from the environment); must select the embedded model.
    """
    settings = settings or AgentSettings()
    if settings.llm_url:
        raise ValueError("bench_llm measures the embedded model; unset KEEL_LLM_URL")
    factory = ChatModelFactory(settings)
    try:
        runtime = factory.runtime()
        llm = factory.chat_model(max_tokens=max_tokens)
        prompt = f"{_NOTES}\n\nSummarise the call for the sales manager in five bullet points."
        prompt_tokens = len(runtime.llama.tokenize(prompt.encode(), add_bos=False))
        runtime.llama.reset()  # cold KV cache for the first measurement
        cold_first, cold_total, text = _stream_timed(llm, prompt)
        out_tokens = len(runtime.llama.tokenize(text.encode(), add_bos=False))
        warm_first, _, _ = _stream_timed(llm, prompt)

        structured = factory.chat_model(max_tokens=max_tokens).with_structured_output(_Risks)
        start = time.perf_counter()
        answer = structured.invoke(f"{_NOTES}\n\nList the deal risks and the next meeting.")
        schema_s = time.perf_counter() - start
        dumped = answer.model_dump_json() if isinstance(answer, BaseModel) else str(answer)
        schema_tokens = len(runtime.llama.tokenize(dumped.encode(), add_bos=False))
    finally:
        factory.close()
    decode_s = max(cold_total - cold_first, 1e-9)
    metrics = {
        "load_s": round(runtime.load_s, 3),
        "first_token_s": round(cold_first, 3),
        "first_token_cached_prefix_s": round(warm_first, 3),
        "answer_total_s": round(cold_total, 3),
        "decode_tokens_per_s": round(max(out_tokens - 1, 0) / decode_s, 1),
        "prompt_tokens_per_s": round(prompt_tokens / max(cold_first, 1e-9), 1),
        "json_schema_answer_s": round(schema_s, 3),
        "json_schema_tokens_per_s_incl_prompt": round(schema_tokens / schema_s, 1),
    }
    config = {
        "model": str(runtime.path.name),
        "threads": settings.llm_threads,
        "ctx": settings.llm_ctx,
        "prompt_tokens": prompt_tokens,
        "answer_tokens": out_tokens,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    return {"metrics": metrics, "config": config}


if __name__ == "__main__":  # pragma: no cover - manual run
    import json

    print(json.dumps(run(), indent=2))
