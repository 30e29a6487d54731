"""Which handler recomputes each cascade level; replace one to plug in new work.

Scoring or extraction can either hand collaborators to the
:class:`~agent.cascade.context.CascadeContext` (the built-in handlers call them) or
replace a level's handler outright::

    registry = default_registry().replace("deal", FunctionHandler(my_apply))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agent.cascade.context import FunctionHandler, LevelHandler
from agent.cascade.handlers import (
    apply_accounts,
    apply_activities,
    apply_deals,
    apply_pipeline,
    apply_training,
    prepare_accounts,
    prepare_activities,
    prepare_deals,
    prepare_pipeline,
    prepare_training,
)
from memory.queue import LEVELS


@dataclass(frozen=True)
class HandlerRegistry:
    """An immutable mapping ``level -> handler``."""

    handlers: Mapping[str, LevelHandler] = field(default_factory=dict)

    def get(self, level: str) -> LevelHandler:
        """Return the handler of ``level``.

        Raises:
            KeyError: no handler is registered for ``level``.
        """
        try:
            return self.handlers[level]
        except KeyError:
            raise KeyError(
                f"no cascade handler for level {level!r}; registered: {sorted(self.handlers)}"
            ) from None

    def replace(self, level: str, handler: LevelHandler) -> HandlerRegistry:
        """Return a copy with ``handler`` recomputing ``level``."""
        if level not in LEVELS:
            raise ValueError(f"unknown cascade level {level!r}; expected one of {LEVELS}")
        return HandlerRegistry({**self.handlers, level: handler})


def default_registry() -> HandlerRegistry:
    """The built-in handlers: real roll-ups, extraction and scoring through the context."""
    return HandlerRegistry(
        {
            "activity": FunctionHandler(apply_activities, prepare_activities),
            "deal": FunctionHandler(apply_deals, prepare_deals),
            "training": FunctionHandler(apply_training, prepare_training),
            "account": FunctionHandler(apply_accounts, prepare_accounts),
            "pipeline": FunctionHandler(apply_pipeline, prepare_pipeline),
        }
    )
