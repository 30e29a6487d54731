"""The async cascade: handlers per level, the worker loop, status and verification.

Public entry points: :class:`~agent.cascade.context.CascadeContext`,
:func:`~agent.cascade.registry.default_registry`, :class:`~agent.cascade.worker.Worker`,
:func:`~agent.cascade.worker.run_workers`, :func:`~agent.cascade.status.queue_status`,
:func:`~agent.cascade.verify.diff_derived`.
"""
