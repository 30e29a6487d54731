"""Typed settings of the cascade workers (``KEEL_CASCADE_*`` environment variables, ``.env``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CascadeSettings(BaseSettings):
    """How cascade workers claim, retry and give up.

    Attributes:
        batch: Keys claimed per batch, per level (bounded batches keep memory bounded).
        activity_batch: Keys per batch at the activity level without an extractor.
        extract_batch: Keys per batch at the activity level when an extractor (an LLM)
            is plugged in.
        lease_s: How long a claim is held before another worker may take it over; a
            worker renews it while it works through a long batch.
        max_attempts: Failed attempts before a key moves to the dead letters.
        backoff_s: Delay before the first retry; doubles after each further failure.
        backoff_max_s: Upper bound of the retry delay.
        max_defer_s: A parent that has waited this long for its children runs anyway
            (its roll-up then says it was computed from stale children); unset means
            parents always wait until their children are done.
        parent_wait_s: A parent key (deal, account, pipeline) whose children are done and
            that has waited this long is claimed ahead of newer child keys, so a steady
            stream of activity cannot starve the roll-ups; unset means strictly
            children first.
        poll_s: Idle sleep between polls when no key is ready (doubles up to ``poll_max_s``).
        poll_max_s: Longest idle sleep.
        stale_buyer_days: A deal with no buyer activity for longer is flagged.
        async_commit: On PostgreSQL, worker transactions (claims and results) commit
            without waiting for the WAL flush. A server crash can then lose the last
            few of them, which only means redoing that work: a lost claim leaves its keys
            unleased, a lost result leaves its keys dirty (results, parent marks and
            completion commit or vanish together). Writers are unaffected: an event and
            its dirty marks always commit durably.
    """

    model_config = SettingsConfigDict(env_prefix="KEEL_CASCADE_", env_file=".env", extra="ignore")

    batch: int = Field(default=500, ge=1, le=5000)
    activity_batch: int = Field(default=1000, ge=1, le=5000)
    extract_batch: int = Field(default=8, ge=1, le=5000)
    lease_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    backoff_s: float = Field(default=2.0, ge=0)
    backoff_max_s: float = Field(default=600.0, ge=0)
    max_defer_s: float | None = Field(default=None, gt=0)
    parent_wait_s: float | None = Field(default=2.0, ge=0)
    poll_s: float = Field(default=0.02, gt=0)
    poll_max_s: float = Field(default=1.0, gt=0)
    stale_buyer_days: float = Field(default=14.0, gt=0)
    async_commit: bool = True

    def batch_for(self, level: str, *, extracting: bool = False) -> int:
        """Batch size for ``level`` (small at the activity level while extracting)."""
        if level != "activity":
            return self.batch
        return self.extract_batch if extracting else self.activity_batch
