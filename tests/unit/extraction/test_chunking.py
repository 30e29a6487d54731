from __future__ import annotations

import time

import pytest

from agent.extraction.activity import Line
from agent.extraction.chunking import (
    ExtractionInputError,
    chunk_lines,
    merge_signals,
    verify_evidence,
)
from agent.extraction.config import ExtractionConfig
from agent.extraction.document import ActivityInput
from agent.extraction.extract import Extractor
from agent.extraction.schema import ActivitySignals, Champion, Evidence
from agent.extraction.settings import ExtractionSettings
from tests.unit.extraction.fakes import fake

FILLER = "Tom Becker (Account Executive, Keelson): Let me share my screen and walk through it.\n"
PUSH = "Laura Chen (Director of Fleet Operations): I presented it to our board and I'll keep pushing.\n"


def test_one_megabyte_transcript_is_refused_fast(config: ExtractionConfig) -> None:
    body = FILLER * (1_048_576 // len(FILLER) + 1)
    model = fake()
    start = time.perf_counter()
    with pytest.raises(ExtractionInputError, match="over the extraction limit"):
        Extractor(model, config).extract(ActivityInput(body=body, kind="call"))
    assert time.perf_counter() - start < 1.0 and model.asked == []


def test_empty_text_is_refused(config: ExtractionConfig) -> None:
    with pytest.raises(ExtractionInputError, match="no text"):
        Extractor(fake(), config).extract(ActivityInput(body="  \n", kind="note"))


def test_long_transcript_is_chunked_and_merged() -> None:
    settings = ExtractionSettings(chunk_chars=2000, max_chars=200_000)
    config = ExtractionConfig.from_settings(settings, sellers=["Keelson"])
    body = FILLER * 150 + PUSH + FILLER * 150
    model = fake()
    result = Extractor(model, config).extract(ActivityInput(body=body, kind="call"))
    assert result.chunks >= 5
    assert result.signals.champion is not None and result.signals.champion.name == "Laura Chen"
    prompts = {q.text.split("Question:")[0] for q in model.asked}
    assert all(len(p) < 4000 for p in prompts)  # each question sees one chunk only


def test_chunk_lines_respects_the_size() -> None:
    lines = [Line(number=i + 1, text="x" * 90) for i in range(50)]
    chunks = chunk_lines(lines, 1000)
    assert sum(len(c) for c in chunks) == 50 and all(len(c) <= 10 for c in chunks)
    assert chunk_lines([], 1000) == [[]]


def test_merge_signals() -> None:
    a = ActivitySignals(competitors=["Fleetly"], evidence=Evidence(competitors={"Fleetly": "q1"}))
    b = ActivitySignals(
        champion=Champion(name="Ann Lee"),
        competitors=["Fleetly", "RouteSmart"],
        pricing_discussed=True,
        evidence=Evidence(champion="q2", competitors={"RouteSmart": "q3"}, pricing_discussed="q4"),
    )
    merged = merge_signals([a, b])
    assert merged.champion is not None and merged.champion.name == "Ann Lee"
    assert merged.competitors == ["Fleetly", "RouteSmart"] and merged.pricing_discussed
    assert merged.evidence.competitors == {"Fleetly": "q1", "RouteSmart": "q3"}


def test_signal_with_a_quote_not_in_the_text_is_dropped() -> None:
    s = ActivitySignals(
        pricing_discussed=True,
        competitors=["Fleetly"],
        evidence=Evidence(pricing_discussed="Price is 10k.", competitors={"Fleetly": "invented"}),
    )
    warnings = verify_evidence(s, "Hello.\nPrice   is 10k.\n")
    assert s.pricing_discussed and s.competitors == []
    assert warnings == ["competitor Fleetly: evidence quote not found in the text; signal dropped"]
