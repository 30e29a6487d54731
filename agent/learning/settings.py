"""Typed settings of the preference-learning loop (``KEEL_PREFS_*`` variables and ``.env``).

The similarity thresholds are cosine similarities for all-MiniLM-L6-v2 (the embedded
default); a different embedder needs its own values.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LearningSettings(BaseSettings):
    """How preferences are captured, merged, promoted and applied.

    Attributes:
        promotion_min_reps: Distinct reps holding equivalent preferences before an org-level
            preference is created (K).
        merge_similarity: A new observation merges into an existing preference of the same
            rep and kind at or above this similarity.
        promotion_similarity: Preferences of different reps (same kind) count as equivalent
            at or above this similarity.
        contradiction_similarity: Two preferences of the same kind are about the same thing
            (and may contradict) at or above this similarity of their targets.
        apply_min_strength: A preference is applied once its strength reaches this.
        weight_chat: Strength one explicit correction in chat adds.
        weight_thread: Strength one implicit signal from thread analysis adds.
        weight_edit: Strength one edited document adds (the same edit in several documents
            adds up; one edit alone is not applied).
        weight_manual: Strength of a preference entered by hand.
        relevant_limit: Default number of preferences returned for a task.
        max_correction_chars: Longer chat messages are not read as corrections.
        max_edit_lines: Longer drafts/edits are refused before diffing (bounded work).
        max_edit_chars: Same, in characters.
        max_edit_statements: At most this many preferences are learned from one edit.
        thread_idle_minutes: A conversation idle this long is due for background analysis.
        max_thread_messages: Only the newest messages of a longer thread are analysed.
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_PREFS_", env_file=".env", extra="ignore")

    promotion_min_reps: int = Field(default=3, ge=2)
    merge_similarity: float = Field(default=0.62, gt=0.0, le=1.0)
    promotion_similarity: float = Field(default=0.62, gt=0.0, le=1.0)
    contradiction_similarity: float = Field(default=0.6, gt=0.0, le=1.0)
    apply_min_strength: float = Field(default=0.6, gt=0.0, le=1.0)
    weight_chat: float = Field(default=1.0, ge=0.0, le=1.0)
    weight_thread: float = Field(default=0.35, ge=0.0, le=1.0)
    weight_edit: float = Field(default=0.25, ge=0.0, le=1.0)
    weight_manual: float = Field(default=1.0, ge=0.0, le=1.0)
    relevant_limit: int = Field(default=8, ge=1)
    max_correction_chars: int = Field(default=1500, ge=20)
    max_edit_lines: int = Field(default=400, ge=1)
    max_edit_chars: int = Field(default=40_000, ge=100)
    max_edit_statements: int = Field(default=6, ge=1)
    thread_idle_minutes: float = Field(default=30.0, gt=0)
    max_thread_messages: int = Field(default=60, ge=2)
