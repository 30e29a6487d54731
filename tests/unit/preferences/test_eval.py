from __future__ import annotations

import random

from evals.eval_preferences import _after_k_rate, run
from evals.preference_world import CORRECTIONS, TemplateDrafter, broken_preferences, correction_text
from memory.embeddings import HashingEmbedder


def test_after_k_counts_pairs_after_the_kth_or_last_correction() -> None:
    log = [
        {"rep": "a", "round": 0, "held": ["x"], "broken": ["x"], "corrected": ["x"]},
        {"rep": "a", "round": 1, "held": ["x"], "broken": [], "corrected": []},
        {"rep": "a", "round": 2, "held": ["x"], "broken": ["x"], "corrected": ["x"]},
        {"rep": "a", "round": 3, "held": ["x"], "broken": ["x"], "corrected": ["x"]},
        {"rep": "a", "round": 4, "held": ["x"], "broken": ["x"], "corrected": []},
        {"rep": "a", "round": 5, "held": ["x"], "broken": [], "corrected": []},
    ]
    assert _after_k_rate(log, 3) == (0.5, 2)
    assert _after_k_rate(log, 1) == (0.6, 5)


def test_corrections_are_varied() -> None:
    rng = random.Random(3)
    for key in CORRECTIONS:
        assert len({correction_text(key, rng) for _ in range(40)}) >= 10


def test_the_rep_checks_the_words_written() -> None:
    drafter = TemplateDrafter(HashingEmbedder())
    draft = drafter.draft(
        [],
        contact="Sam",
        account="Acme",
        deal="Acme - Fleet",
        rep_name="Olli Virtanen",
        fleet=120,
        rng=random.Random(1),
    )
    held = list(CORRECTIONS)
    broken = set(broken_preferences(draft.text, held))
    assert ("!" in draft.text) == ("no_exclamation" in broken)
    assert (len(draft.text.split()) > 120) == ("short_emails" in broken)
    assert ("mutual action plan" not in draft.text) == ("mention_map" in broken)


def test_eval_runs_end_to_end_on_a_tiny_world() -> None:
    doc = run(seeds=(5,), reps=4, rounds=3, embedder=HashingEmbedder())
    m = doc["metrics"]
    for key in (
        "repeat_correction_rate",
        "repeat_correction_rate_after_3",
        "promotion_precision",
        "promotion_recall",
        "baseline_repeat_correction_rate",
    ):
        assert 0.0 <= m[key] <= 1.0
    assert m["drafts"] == 12 and len(doc["repeat_rate_by_round"]) == 3
    assert sum(doc["capture_statuses"].values()) == m["corrections"]
