"""The tacit-knowledge loop: capture preferences from chat, threads and edits; promote; apply.

Public API (see each module for details):

* :class:`~agent.learning.service.LearningService` - the front door (acts for a ``Viewer``).
* :func:`~agent.learning.corrections.capture_correction` - channel 1, chat corrections.
* :func:`~agent.learning.threads.analyse_thread` / ``due_for_analysis`` - channel 2.
* :func:`~agent.learning.edits.learn_from_edit` - channel 3, draft edits (difflib).
* :func:`~agent.learning.promotion.check_promotion` / ``sweep_promotions`` - org level.
* :func:`~agent.learning.apply.relevant_preferences`, ``record_applied``, ``stop_applying``.
* :class:`~agent.learning.adapters.ToolPreferences` / ``ToolFeedback`` - the tools' protocols.
"""
