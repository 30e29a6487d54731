"""Signal extraction plugged into the cascade's activity level.

The cascade's built-in activity handler (``agent.cascade.handlers.prepare_activities``)
skips every activity whose content hash already has signals under ``extractor.name``
(no LLM call), calls :meth:`CascadeSignalExtractor.extract` for the rest outside any
write lock, and stores each payload as an ``ActivitySignal`` with ``recorded_at`` = its
clock. Plug it in with one line where the worker's context is built::

    ctx = with_extraction(CascadeContext(engine=engine), factory.chat_model())
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from sqlalchemy.engine import Engine

from agent.cascade.context import ActivityText, CascadeContext
from agent.extraction.chunking import ExtractionInputError
from agent.extraction.config import ExtractionConfig
from agent.extraction.document import ActivityInput
from agent.extraction.extract import Extractor
from agent.extraction.schema import ActivitySignals
from agent.extraction.settings import ExtractionSettings
from agent.extraction.store import org_facts
from agent.extraction.version import extractor_version
from memory.db import session_scope

logger = logging.getLogger(__name__)

FACTS_TTL_S = 600.0
"""How long an org's facts (name, domains, known competitors) are reused before re-reading."""


class CascadeSignalExtractor:
    """The cascade's ``SignalExtractor``: one payload per activity, in order.

    Args:
        model: The chat model (``ChatModelFactory.chat_model()``).
        engine: The store, to read each org's facts; ``None`` uses settings only.
        settings: Extraction settings (default: from the environment).
    """

    def __init__(
        self,
        model: BaseChatModel,
        *,
        engine: Engine | None = None,
        settings: ExtractionSettings | None = None,
    ) -> None:
        self.model = model
        self.engine = engine
        self.settings = settings or ExtractionSettings()
        self.name = extractor_version(model)
        self._extractors: dict[str, tuple[float, Extractor]] = {}

    def extractor_for(self, org_id: str) -> Extractor:
        """The extractor configured with ``org_id``'s facts (re-read every ``FACTS_TTL_S``)."""
        now = time.monotonic()
        held = self._extractors.get(org_id)
        if held is not None and now - held[0] < FACTS_TTL_S:
            return held[1]
        facts: dict[str, list[str]] = {}
        if self.engine is not None:
            with session_scope(self.engine) as session:
                facts = org_facts(session, org_id)
        extractor = Extractor(self.model, ExtractionConfig.from_settings(self.settings, **facts))
        self._extractors[org_id] = (now, extractor)
        return extractor

    def extract(self, activities: Sequence[ActivityText]) -> list[dict[str, Any]]:
        """Return one signal payload per activity.

        Text that cannot be extracted (empty, over the size limit) gets an empty payload
        with a ``skipped`` reason, so it is stored and not retried; an unavailable LLM
        raises, so the cascade retries the batch with backoff.
        """
        payloads: list[dict[str, Any]] = []
        for act in activities:
            activity = ActivityInput(
                body=act.body,
                kind=act.kind,
                subject=act.subject,
                participants=list(act.participants),
                direction=act.direction,
                occurred_at=act.occurred_at,
            )
            try:
                result = self.extractor_for(act.org_id).extract(activity)
            except ExtractionInputError as exc:
                logger.warning("activity %s not extracted: %s", act.activity_id, exc)
                payloads.append(ActivitySignals().payload() | {"skipped": str(exc)})
                continue
            payload = result.signals.payload()
            if result.warnings:
                payload["warnings"] = result.warnings
            payloads.append(payload)
        return payloads


def with_extraction(
    ctx: CascadeContext, model: BaseChatModel, *, settings: ExtractionSettings | None = None
) -> CascadeContext:
    """Return ``ctx`` with LLM signal extraction at the activity level.

    Args:
        ctx: The worker's context (its engine is used to read org facts).
        model: The chat model to extract with.
        settings: Extraction settings (default: from the environment).
    """
    extractor = CascadeSignalExtractor(model, engine=ctx.engine, settings=settings)
    return dataclasses.replace(ctx, extractor=extractor)
