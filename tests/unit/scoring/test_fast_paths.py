"""The fast paths of feature building give exactly what the plain paths give."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from memory.db import session_scope
from scoring import events
from scoring.events import DealEvents, OrgEvents, load_deals, load_org, load_pipeline
from scoring.features import build_features
from scoring.matrix import FeatureSpec, numeric_block
from tests.unit.scoring.helpers import (
    activity,
    add,
    change,
    day,
    deal,
    payload,
    seed_basic,
    signal,
    store,
)
from tests.unit.scoring.simworld import CONFIG, sim_store

__all__ = ["store"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return sim_store()


def _instants() -> list[float]:
    # Mid-history (many deals open, records after the instant exist) and the end.
    return [(CONFIG.end - timedelta(days=150)).timestamp(), CONFIG.end.timestamp()]


def _same_org(a: OrgEvents, b: OrgEvents) -> None:
    assert (a.org_id, a.stages, a.accounts) == (b.org_id, b.stages, b.accounts)
    assert a.closes == b.closes
    assert a.stage_at_until == b.stage_at_until


def _same_deals(a: dict[str, DealEvents], b: dict[str, DealEvents]) -> None:
    assert sorted(a) == sorted(b)
    for deal_id, ev in a.items():
        assert ev == b[deal_id], deal_id


@pytest.mark.parametrize("at", _instants())
def test_pipeline_loads_what_org_and_deals_load(engine: Engine, at: float) -> None:
    with session_scope(engine) as s:
        org, deals = load_pipeline(s, org_id=CONFIG.org_id, until=at)
        plain_org = load_org(s, org_id=CONFIG.org_id, until=at)
        plain = load_deals(s, org_id=CONFIG.org_id, deal_ids=plain_org.open_deal_ids(), until=at)
    assert deals, "the instant should have open deals"
    _same_org(org, plain_org)
    _same_deals(deals, plain)


@pytest.mark.parametrize("at", _instants())
def test_org_scan_and_chunked_reads_agree(
    engine: Engine, at: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as s:
        ids = load_org(s, org_id=CONFIG.org_id, until=at).open_deal_ids()[::2]
        monkeypatch.setattr(events, "BIG_SET", 0)  # a "big" set: one scan of the org
        _, scanned = load_pipeline(s, org_id=CONFIG.org_id, until=at, deal_ids=ids)
        monkeypatch.setattr(events, "BIG_SET", len(ids))  # a "small" set: IN chunks
        monkeypatch.setattr(events, "_CHUNK", 7)
        _, chunked = load_pipeline(s, org_id=CONFIG.org_id, until=at, deal_ids=ids)
    assert len(scanned) == len(ids) > 7
    _same_deals(scanned, chunked)


def test_features_of_the_pipeline_equal_features_of_listed_deals(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_of = CONFIG.end - timedelta(days=150)

    def norm(row: dict[str, Any]) -> dict[str, Any]:
        return {k: "nan" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}

    with session_scope(engine) as s:
        pipeline = build_features(s, org_id=CONFIG.org_id, as_of=as_of)
        monkeypatch.setattr(events, "BIG_SET", 10**9)  # listed deals, read with IN lists
        listed = build_features(
            s, org_id=CONFIG.org_id, as_of=as_of, deal_ids=[r.deal_id for r in pipeline]
        )
    assert [r.deal_id for r in pipeline] == [r.deal_id for r in listed]
    for a, b in zip(pipeline, listed, strict=True):
        assert list(a.values) == list(b.values)
        assert norm(a.values) == norm(b.values)


def test_pipeline_cuts_what_is_valid_or_recorded_after_the_instant(store: Engine) -> None:
    seed_basic(store)
    call = activity("D1", "A1", 3)
    late = activity("D1", "A2", 12)
    add(
        store,
        deals=[deal(src="D2")],
        changes=[
            change("D1", "close_date", "2026-04-01", 20, recorded=5),  # valid later
            change("D1", "stage", "negotiation", 21, recorded=5),  # valid later
            change("D1", "amount", 25000, 4, recorded=11),  # recorded later
            change("D1", "amount", 30000, 4, recorded=6),  # a correction of day 4
            change("D1", "stage", "proposal", 8),
            change("D2", "stage", "discovery", 0),
            change("D2", "owner_id", "u1", 0),
            change("D2", "stage", "closed_won", 7),
        ],
        activities=[call, late],
        signals=[signal(call, payload(pricing_discussed=True), recorded=4)],
    )
    at = day(10).timestamp()
    with session_scope(store) as s:
        org, deals = load_pipeline(s, org_id="acme", until=at)
        plain_org = load_org(s, org_id="acme", until=at)
        plain = load_deals(s, org_id="acme", deal_ids=plain_org.open_deal_ids(), until=at)
    _same_org(org, plain_org)
    _same_deals(deals, plain)
    d1 = next(iter(deals.values()))
    assert [(c[3], c[4]) for c in d1.changes][-3:] == [
        ("owner_id", "u1"),
        ("amount", 30000),
        ("stage", "proposal"),
    ]
    assert [a.activity_id for a in d1.activities] == [call["id"]]
    assert [c.won for c in org.closes] == [True]


def _reference_transform(spec: FeatureSpec, rows: list[dict[str, Any]]) -> np.ndarray:
    """The matrix built cell by cell (the straightforward definition)."""
    out = np.zeros((len(rows), len(spec.columns)), dtype=np.float32)
    for i, row in enumerate(rows):
        for j, name in enumerate(spec.numeric):
            v = row.get(name)
            out[i, j] = float(v) if isinstance(v, int | float) else np.nan
        col = len(spec.numeric)
        for name, values in spec.categorical.items():
            got = row.get(name)
            seen = got if isinstance(got, list | tuple) else [] if got is None else [got]
            for k, v in enumerate(values):
                out[i, col + k] = 1.0 if v in {str(x) for x in seen} else 0.0
            col += len(values)
    return out


ROWS: list[dict[str, Any]] = [
    {"a": 1.0, "b": None, "c": 3, "seg": "smb", "comp": ["x", "y"]},
    {"a": float("nan"), "c": 2.5, "seg": "ent", "comp": []},  # "b" missing
    {"a": True, "b": 0.0, "c": -1.0, "comp": ("y",)},
    {"b": 7.0, "seg": None, "comp": "x"},
]


@pytest.mark.parametrize(
    "spec",
    [
        FeatureSpec(["a", "b", "c"], {"comp": ["x", "y"], "seg": ["ent", "smb"]}),
        FeatureSpec(["b"], {"seg": ["smb"]}),
        FeatureSpec([], {"comp": ["y"]}),
        FeatureSpec(["a", "c"], {}),
    ],
)
def test_matrix_equals_the_cell_by_cell_definition(spec: FeatureSpec) -> None:
    got = spec.transform(ROWS)
    want = _reference_transform(spec, ROWS)
    assert got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=True)


def test_numeric_block_of_non_numbers_falls_back_to_nan() -> None:
    rows: list[dict[str, Any]] = [{"a": "text", "b": 1.0}, {"a": 2.0, "b": [1, 2]}]
    got = numeric_block(rows, ["a", "b"])
    assert np.array_equal(got, np.array([[np.nan, 1.0], [2.0, np.nan]]), equal_nan=True)
    assert numeric_block([], ["a", "b"]).shape == (0, 2)
