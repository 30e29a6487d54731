"""Typed settings of the agent package (``KEEL_*`` environment variables and ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgentSettings(BaseSettings):
    """How Keel reaches its language model.

    Attributes:
        home: Keel's data directory; the assembled default model is cached in ``<home>/models/``.
        llm_url: Base URL of a TGI server (or any server speaking TGI's OpenAI-compatible
            Messages API, e.g. ``http://host:8080/v1``). Unset means the embedded local model.
        llm_model: Embedded backend: a path to any GGUF file, or the name of a registered
            model (see ``agent.model_files.MODELS``); unset means the default model. Server
            backend: the model name sent in requests (optional for TGI).
        llm_server_kind: Which JSON-schema wire form the server understands: ``"tgi"``
            (``{"type": "json_object", "value": schema}``) or ``"llamacpp"``
            (``{"type": "json_object", "schema": schema}``).
        llm_api_key: Bearer token for the server; never logged.
        llm_threads: CPU threads for the embedded model.
        llm_ctx: Context window (tokens) of the embedded model.
        llm_flash_attn: Embedded model: use llama.cpp's flash attention kernels.
        llm_greedy_grammar: Embedded model: when a grammar (JSON schema) meets greedy decoding,
            check the best token first and the whole vocabulary only if the grammar refuses
            it. Same output; turn off only to compare.
        llm_task_lane: Embedded model: give the learning loop (reading corrections and draft
            edits, whose prompts share nothing with the chat's) a context of its own, so it
            never evicts the chat's cached system prompt (re-reading it costs ~8 s on 2
            cores). Off by default: it costs about 0.9 GB (llama.cpp repacks the weights per
            context; RssAnon 949 -> 1,830 MB measured), and drafts need no lane of their own
            because their prompt starts with the chat's system prompt.
        llm_timeout_s: Per-request timeout for the server backend.
        llm_max_retries: Retries after the first attempt on connection errors, timeouts and 5xx.
        llm_retry_backoff_s: First backoff delay; doubles after each failed attempt.
        llm_max_tokens: Upper bound on generated tokens per call (always sent).
        llm_temperature: Sampling temperature (0 = greedy, reproducible).
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path(".keel"))
    llm_url: str | None = None
    llm_model: str | None = None
    llm_server_kind: Literal["tgi", "llamacpp"] = "tgi"
    llm_api_key: SecretStr | None = None
    llm_threads: int = Field(default=2, ge=1)
    llm_ctx: int = Field(default=8192, ge=512)
    llm_flash_attn: bool = False
    llm_greedy_grammar: bool = True
    llm_task_lane: bool = False
    llm_timeout_s: float = Field(default=120.0, gt=0)
    llm_max_retries: int = Field(default=3, ge=0)
    llm_retry_backoff_s: float = Field(default=0.5, ge=0)
    llm_max_tokens: int = Field(default=512, ge=1)
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)

    def models_dir(self) -> Path:
        """Return the directory where assembled model files are cached."""
        return self.home / "models"
