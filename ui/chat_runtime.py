"""Everything a chat front end needs, built once at the edge: store, model, scorer, sinks.

Shared by the Chainlit app and ``keel chat``. The chat model loads lazily (the embedded one
takes a couple of seconds); if it cannot load, turns still work and are answered with the
tools' own words, and the reason is logged once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage
from sqlalchemy.engine import Engine

from agent.context import AgentContext
from agent.feedback import StoreFeedback
from agent.prompts.agent import static_system_prompt
from memory.auth_store import create_auth_tables
from memory.db import create_schema, make_engine, session_scope, utcnow
from memory.feedback_store import create_feedback_tables
from memory.scoring_store import create_scoring_tables
from memory.settings import MemorySettings
from tools.access import load_viewer
from tools.context import ScoreSource, ToolContext, Viewer
from tools.registry import TOOLS
from tools.scores import StoredScores

logger = logging.getLogger(__name__)


def open_chat_store(settings: MemorySettings) -> Engine:
    """Open the store and create every table the chat uses."""
    engine = make_engine(settings=settings)
    create_schema(engine)
    create_scoring_tables(engine)
    create_auth_tables(engine)
    create_feedback_tables(engine)
    return engine


def _score_source(engine: Engine) -> ScoreSource:
    try:
        from scoring.service import KeelScorer
        from tools.live_scores import LiveScores

        return LiveScores(engine, KeelScorer(record=False))
    except Exception as exc:  # scoring missing or its prior unreadable: stored cards only
        logger.warning("live scoring unavailable (%s); using stored scores", exc)
        return StoredScores(engine)


@dataclass
class ChatRuntime:
    """The chat's collaborators.

    Attributes:
        engine: The store.
        org_id: The org users sign in to.
        memory_settings: Where data lives (checkpoints follow it).
        model_factory: Builds the chat model (``None``: no model, tools' words only).
        scores: Score source for the tools.
        feedback: Feedback sink for corrections, thumbs and draft edits.
        preferences: The preference loop (``ui.chat_learning.LazyLearning``), if enabled.
    """

    engine: Engine
    org_id: str
    memory_settings: MemorySettings
    model_factory: Any = None
    scores: ScoreSource | None = None
    feedback: StoreFeedback | None = None
    preferences: Any = None
    _model: BaseChatModel | None = None
    _model_error: str | None = None
    _task_model: BaseChatModel | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls,
        *,
        org_id: str,
        memory_settings: MemorySettings | None = None,
        with_model: bool = True,
        with_learning: bool = True,
    ) -> ChatRuntime:
        """Open the store and prepare (not yet load) the chat model and the preference loop."""
        settings = memory_settings or MemorySettings()
        engine = open_chat_store(settings)
        factory = None
        if with_model:
            from agent.chat_models import ChatModelFactory
            from agent.settings import AgentSettings

            factory = ChatModelFactory(AgentSettings())
        runtime = cls(
            engine=engine,
            org_id=org_id,
            memory_settings=settings,
            model_factory=factory,
            scores=_score_source(engine),
        )
        if with_learning:
            from ui.chat_learning import LazyLearning, default_service

            runtime.preferences = LazyLearning(default_service(settings, runtime.task_model))
        runtime.feedback = StoreFeedback(engine, learner=runtime.preferences)
        return runtime

    def model(self) -> BaseChatModel | None:
        """Return the chat model, loading it on first use (``None`` if it cannot load)."""
        with self._lock:
            if self._model is not None or self.model_factory is None or self._model_error:
                return self._model
            try:
                self._model = self.model_factory.chat_model()
            except Exception as exc:  # the chat keeps working on the tools' own words
                self._model_error = f"{type(exc).__name__}: {exc}"
                logger.error("chat model unavailable: %s", self._model_error)
            return self._model

    def warm_up(self) -> None:
        """Load the model and read the static system prompt once, so the first turn is fast.

        Every turn's prompt starts with that text, and the embedded model reuses the cached
        prefix; without this the first user of the day waits for ~1,200 tokens to be read.
        """
        model = self.model()
        if model is None:
            return
        try:
            model.bind(max_tokens=1).invoke([SystemMessage(static_system_prompt(TOOLS))])
        except Exception as exc:  # a failed warm-up only costs the first turn time
            logger.warning("model warm-up failed: %s", exc)

    def task_model(self) -> BaseChatModel | None:
        """Return the model of the learning loop (``None`` without a model).

        With ``llm_task_lane`` it is the same weights in a second context, so reading a
        correction or a draft edit (prompts of their own) never evicts the chat's cached
        system prompt; otherwise it is the chat model. A model that did not come from the
        factory (a test's fake) serves both.
        """
        chat = self.model()
        with self._lock:
            if chat is None or chat is not self._model:
                return chat
            if self._task_model is None:
                try:
                    self._task_model = self.model_factory.chat_model(lane="tasks")
                except Exception as exc:  # drafts still work on the chat's context
                    logger.error("task model unavailable, sharing the chat's: %s", exc)
                    self._task_model = chat
            return self._task_model

    @property
    def model_error(self) -> str | None:
        """Why the chat model could not load, if it could not."""
        return self._model_error

    def viewer(self, user_id: str) -> Viewer:
        """Return the signed-in user (raises ``tools.access.UnknownUserError``)."""
        with session_scope(self.engine) as session:
            return load_viewer(session, org_id=self.org_id, user_id=user_id)

    def context(
        self, viewer: Viewer, *, thread_id: str, now: datetime | None = None
    ) -> AgentContext:
        """Return the per-turn agent context for ``viewer`` on ``thread_id``."""
        model = self.model()
        tools = ToolContext(
            engine=self.engine,
            viewer=viewer,
            now=now or utcnow(),
            # Drafts stay on the chat's context: their prompt starts with the chat's system
            # prompt, so they reuse its cached prefix instead of evicting it (measured).
            chat_model=model,
            scores=self.scores,
            preferences=self.preferences,
            feedback=self.feedback,
            thread_id=thread_id,
        )
        return AgentContext(tools=tools, model=model)
