"""Pausing Python's cyclic garbage collector around allocation-heavy reads."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one bulk read.

    A whole-pipeline read or feature build allocates ~10^5-10^6 short-lived, acyclic
    containers; the collections they trigger freed nothing and cost a third of the time
    (measured on 10k deals: pipeline as-of 345 -> 232 ms, feature build 3.1 -> 2.2 s).
    Reference counting still frees everything; the previous state is restored on exit,
    error included, and nesting is safe.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
