"""The extractor version string: model + prompts + rules.

It is stored with every signal; an activity whose content hash already has signals under
the current version is never sent to the model again. Changing the model, a prompt or a
rule changes the version. Org facts (its name, the competitors in its history) do not:
learning a new competitor name should not re-extract every activity of the org.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import BaseChatModel

from agent.extraction.prompts import PROMPT_VERSION

RULES_VERSION = "r1"
"""Changes whenever parsing or a deterministic rule changes behaviour."""


def model_label(model: BaseChatModel) -> str:
    """A short name of the chat model (GGUF file name, server model or URL, else its type)."""
    params = getattr(model, "_identifying_params", {}) or {}
    for key in ("model_path", "model_name", "model", "base_url"):
        value = params.get(key) if isinstance(params, dict) else None
        if value:
            return Path(str(value)).name if key == "model_path" else str(value)
    return type(model).__name__


def extractor_version(model: BaseChatModel) -> str:
    """``keel-extract/<rules>+<prompts>/<model>``."""
    return f"keel-extract/{RULES_VERSION}+{PROMPT_VERSION}/{model_label(model)}"
