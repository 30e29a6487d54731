"""A simulated sales org, deterministic by seed: ground truth for every Keel evaluation.

Public API: :class:`SimConfig`, :func:`simulate`, :func:`iter_world`, :class:`World`,
:class:`WorldBatch`, :class:`SimTruth`, :func:`truth_signals_rows`, :func:`write_truth`.
See ``evals/sim/README.md`` for the latent model and the planted effects.
"""

from evals.sim.config import SimConfig
from evals.sim.truth import SimTruth, truth_json, truth_signals_rows, write_truth
from evals.sim.world import World, WorldBatch, iter_world, simulate

__all__ = [
    "SimConfig",
    "SimTruth",
    "World",
    "WorldBatch",
    "iter_world",
    "simulate",
    "truth_json",
    "truth_signals_rows",
    "write_truth",
]
