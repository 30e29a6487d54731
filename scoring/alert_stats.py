"""Is a change in a deal's win probability unusual? Robust z-scores against normal variation.

A drop is unusual when it is far outside both the deal's own recent moves and the whole
pipeline's (median/MAD, so a few earlier shocks do not inflate the yardstick). Only days
on which the probability moved count as "moves": most days nothing is learned and the
probability is flat, and measuring against those zeros would make every ordinary update
(a stage change, a new meeting) look like a shock. Gradual drift never qualifies.
"""

from __future__ import annotations

from collections import deque
from statistics import median

MAD_TO_SD = 1.4826


def robust_scale(values: list[float], floor: float) -> float:
    """Standard deviation estimated as 1.4826 x MAD, never below ``floor``."""
    if len(values) < 3:
        return floor
    m = median(values)
    return max(MAD_TO_SD * median(abs(v - m) for v in values), floor)


class ChangeTracker:
    """Remembers recent probability changes per deal and across the pipeline.

    Args:
        window: Changes kept per deal.
        pipeline_window: Changes kept across the pipeline.
        floor: Smallest scale (probability points) so tiny-variance deals are not hair-triggers.
    """

    def __init__(
        self, *, window: int = 30, pipeline_window: int = 3000, floor: float = 0.02
    ) -> None:
        self.window, self.floor = window, floor
        self.last: dict[str, float] = {}
        self.own: dict[str, deque[float]] = {}
        self.pipeline: deque[float] = deque(maxlen=pipeline_window)
        self._frozen: tuple[float, float] | None = None

    def update(self, deal_id: str, probability: float) -> tuple[float, float, float] | None:
        """Record today's probability; return ``(change, z_own, z_pipeline)`` or None if first seen.

        The z-scores compare the change with the history *before* it (the pipeline's as of
        the last :meth:`new_day`), then it joins it.
        """
        prev = self.last.get(deal_id)
        self.last[deal_id] = probability
        if prev is None or abs(probability - prev) <= 1e-9:
            if prev is None:
                return None
            return 0.0, 0.0, 0.0
        change = probability - prev
        own = self.own.setdefault(deal_id, deque(maxlen=self.window))
        own_list = list(own)
        z_own = (change - (median(own_list) if len(own_list) >= 3 else 0.0)) / robust_scale(
            own_list, self.floor
        )
        centre, scale = self._pipeline_stats()
        z_pipe = (change - centre) / scale
        if abs(change) > 1e-9:
            own.append(change)
            self.pipeline.append(change)
        return change, z_own, z_pipe

    def new_day(self) -> None:
        """Freeze the pipeline yardstick for the coming day (it is the same for every deal)."""
        self._frozen = None

    def _pipeline_stats(self) -> tuple[float, float]:
        if self._frozen is None:
            pipe = list(self.pipeline)
            centre = median(pipe) if len(pipe) >= 3 else 0.0
            self._frozen = (centre, robust_scale(pipe, self.floor))
        return self._frozen

    def forget(self, deal_id: str) -> None:
        """Drop a closed deal's history."""
        self.last.pop(deal_id, None)
        self.own.pop(deal_id, None)
