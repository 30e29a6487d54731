"""Second round of fast paths: each gives exactly what the straightforward code gives."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from memory.db import session_scope
from memory.models import DEFAULT_STAGES
from scoring import events
from scoring.deal_features import RepHistory, deal_features_at
from scoring.event_records import ActivityRow, DealEvents, OrgEvents
from scoring.events import load_deals, load_org, load_pipeline
from scoring.signals import as_bool, names_of, payload_at
from scoring.sqlfast import EPSILON, _loads, decode_text
from tests.unit.scoring.simworld import CONFIG, sim_store

DAY = 86400.0
T0 = 1_700_000_000.0


@pytest.fixture(scope="module")
def engine() -> Engine:
    return sim_store()


# --- changes cut by bisection; one scan of the org's changes for a big list -----------


@pytest.mark.parametrize("days_before_end", [150, 0])
@pytest.mark.parametrize("big_set", [0, 10**9])
def test_pipeline_equals_org_then_deals(
    engine: Engine, days_before_end: int, big_set: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline read (changes cut by bisection, not sorted again) equals the plain reads."""
    at = (CONFIG.end - timedelta(days=days_before_end)).timestamp()
    monkeypatch.setattr(events, "BIG_SET", big_set)  # IN lists or an org scan afterwards
    with session_scope(engine) as s:
        org, deals = load_pipeline(s, org_id=CONFIG.org_id, until=at)
        plain_org = load_org(s, org_id=CONFIG.org_id, until=at)
        plain = load_deals(s, org_id=CONFIG.org_id, deal_ids=plain_org.open_deal_ids(), until=at)
    assert deals
    assert org.closes == plain_org.closes
    assert org.stage_at_until == plain_org.stage_at_until
    assert sorted(deals) == sorted(plain)
    for deal_id, ev in plain.items():
        assert deals[deal_id] == ev, deal_id
        assert deals[deal_id].changes == sorted(ev.changes)
    fields = {c[3] for ev in deals.values() for c in ev.changes}
    assert fields - {"stage", "owner_id"}, "other fields are read too"


def test_listed_big_set_is_one_scan_and_equals_in_lists(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = CONFIG.end.timestamp()
    with session_scope(engine) as s:
        ids = load_org(s, org_id=CONFIG.org_id, until=at).open_deal_ids()[1::2]
        monkeypatch.setattr(events, "BIG_SET", len(ids) - 1)  # listed and big: one scan
        _, scanned = load_pipeline(s, org_id=CONFIG.org_id, until=at, deal_ids=ids)
        plain = load_deals(s, org_id=CONFIG.org_id, deal_ids=ids, until=at)
    assert len(scanned) == len(ids)
    for deal_id, ev in plain.items():
        assert scanned[deal_id] == ev, deal_id
        assert scanned[deal_id].changes == sorted(ev.changes)


# --- JSON objects and lists go straight to the parser ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [1, 2], "c": null}',
        "[]",
        '[{"name": "Ann", "side": "buyer"}]',
        "{}",
        '"plain"',
        '"esc\\"aped"',
        "12",
        "-3.5",
        "1e3",
        "null",
        "true",
        "false",
        "",
    ],
)
def test_decode_text_equals_the_json_parser(text: str) -> None:
    want: Any
    try:
        want = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            decode_text(text)
        return
    assert decode_text(text) == want
    assert type(decode_text(text)) is type(want)


@pytest.mark.parametrize("text", ["{not json", "[1,", "{'a': 1}"])
def test_decode_text_of_broken_objects_raises_like_the_parser(text: str) -> None:
    with pytest.raises(ValueError):
        _loads(text)
    with pytest.raises(ValueError):
        decode_text(text)


# --- inlined signal reading in the activity features -----------------------------------

FLAGS: list[Any] = [True, False, None, "yes", "no", " True ", 1, 0, "", [], "y"]


def _activity(i: int, kind: str, direction: str | None, buyers: tuple[str, ...]) -> ActivityRow:
    return ActivityRow(
        f"a{i}", kind, direction, buyers, tuple("VP Sales" for _ in buyers),
        T0 + i * DAY, T0 + i * DAY + 60,
    )  # fmt: skip


def _events(flag: Any, recorded_offsets: list[list[float]]) -> DealEvents:
    """A deal with one activity per entry; each has extractions recorded at the offsets."""
    kinds = [("call", None, ("Ann",)), ("email", "inbound", ()), ("meeting", None, ("Bo",))]
    stakeholders: list[Any] = [
        {"name": " Cy "},
        {"name": "  "},
        "Di",
        {"title": "no name"},
        {"name": 7},
        "",
    ]
    ev = DealEvents("d1", "acc", T0 - 5 * DAY, T0 - 5 * DAY)
    for i, offsets in enumerate(recorded_offsets):
        kind, direction, buyers = kinds[i % len(kinds)]
        a = _activity(i, kind, direction, buyers)
        ev.activities.append(a)
        if offsets:
            ev.signals[a.activity_id] = [
                (
                    a.occurred + off,
                    {
                        "economic_buyer_engaged": flag if k == 0 else False,
                        "business_case_shared": flag,
                        "pricing_discussed": flag if i % 2 else None,
                        "next_meeting_scheduled": flag if k == len(offsets) - 1 else True,
                        "stakeholders": stakeholders[i % 3 :] if i % 4 else [],
                    },
                )
                for k, off in enumerate(offsets)
            ]
    return ev


def _reference(ev: DealEvents, t: float, backfill: bool) -> dict[str, Any]:
    """The affected features with the plain helpers (payload_at, as_bool, names_of)."""
    t += EPSILON
    picked = []
    n_conv = 0
    for a in ev.activities:
        if a.occurred > t:
            break
        if a.recorded > t:
            continue
        conversation = a.kind in ("call", "meeting") and bool(a.buyers)
        n_conv += conversation
        versions = ev.signals.get(a.activity_id)
        p = payload_at(versions, t, backfill=backfill) if versions else None
        if p is not None:
            picked.append((a, p, conversation, n_conv))
    if not picked:
        return {"extracted_activities": 0.0}
    bc = [(c, n) for _a, p, c, n in picked if as_bool(p.get("business_case_shared"))]
    nexts = [
        float(as_bool(p.get("next_meeting_scheduled")))
        for a, p, c, _n in picked
        if c or a.kind == "email"
    ]
    mentioned = {n for _a, p, _c, _n in picked for n in names_of(p.get("stakeholders"))}
    return {
        "extracted_activities": float(len(picked)),
        "eb_engaged": float(any(as_bool(p.get("economic_buyer_engaged")) for _, p, _, _ in picked)),
        "business_case_shared": float(bool(bc)),
        "business_case_early": float(bool(bc) and bc[0][1] - (1 if bc[0][0] else 0) < 3),
        "pricing_discussed": float(
            any(as_bool(p.get("pricing_discussed")) for _, p, _, _ in picked)
        ),
        "next_meeting_last": nexts[-1] if nexts else math.nan,
        "stakeholders_mentioned": float(len(mentioned)),
    }


@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize("backfill", [True, False])
@pytest.mark.parametrize(
    "offsets",
    [
        [[0.0], [0.0], [0.0], [0.0], [0.0]],  # one extraction each, known in time
        [[0.0], [30 * DAY], [0.0], [], [0.0, 2 * DAY]],  # late and repeated extractions
        [[3 * DAY, 40 * DAY], [0.0, 1.0, 2.0], [50 * DAY], [0.0], [0.0]],
    ],
)
def test_activity_features_equal_the_plain_helpers(
    flag: Any, backfill: bool, offsets: list[list[float]]
) -> None:
    ev = _events(flag, offsets)
    org = OrgEvents("o", list(DEFAULT_STAGES), {}, [])
    t = T0 + 10 * DAY
    got = deal_features_at(ev, t, org, RepHistory(), backfill=backfill)
    want = _reference(ev, t, backfill)
    for name, value in want.items():
        same = got[name] == value or (math.isnan(got[name]) and math.isnan(value))
        assert same, (name, got[name], value)
