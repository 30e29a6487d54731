"""How extraction is scored: per-field correctness of one prediction against one label.

Definitions (no partial credit):
* ``champion_name`` / ``economic_buyer_name``: normalised names equal (case, accents and
  punctuation ignored), or both null. A predicted person where the label has none is wrong,
  and so is a missed one.
* ``champion_seniority``: the champion's seniority equal, null when there is no champion
  (so a missed or invented champion usually costs this field too).
* ``economic_buyer_engaged``, ``next_meeting_scheduled``, ``business_case_shared``,
  ``pricing_discussed``: booleans equal.
* ``competitors``: the *set* of competitors equal exactly (case-insensitive).
``field_accuracy`` is the mean of these eight fields over all activities. Stakeholders and
risks are scored separately (set precision/recall), never folded into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agent.extraction.names import normalise_name

FIELDS: tuple[str, ...] = (
    "champion_name",
    "champion_seniority",
    "economic_buyer_name",
    "economic_buyer_engaged",
    "competitors",
    "next_meeting_scheduled",
    "business_case_shared",
    "pricing_discussed",
)


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else None


def _name(person: Any) -> str:
    return normalise_name(_get(person, "name"))


def _set(values: Iterable[Any] | None) -> set[str]:
    return {str(v).strip().casefold() for v in values or [] if str(v).strip()}


def score_fields(pred: Mapping[str, Any], label: Mapping[str, Any]) -> dict[str, bool]:
    """Per-field correctness of one prediction (both in the extraction schema)."""
    return {
        "champion_name": _name(pred.get("champion")) == _name(label.get("champion")),
        "champion_seniority": _get(pred.get("champion"), "seniority")
        == _get(label.get("champion"), "seniority"),
        "economic_buyer_name": _name(pred.get("economic_buyer"))
        == _name(label.get("economic_buyer")),
        "economic_buyer_engaged": bool(pred.get("economic_buyer_engaged"))
        == bool(label.get("economic_buyer_engaged")),
        "competitors": _set(pred.get("competitors")) == _set(label.get("competitors")),
        "next_meeting_scheduled": bool(pred.get("next_meeting_scheduled"))
        == bool(label.get("next_meeting_scheduled")),
        "business_case_shared": bool(pred.get("business_case_shared"))
        == bool(label.get("business_case_shared")),
        "pricing_discussed": bool(pred.get("pricing_discussed"))
        == bool(label.get("pricing_discussed")),
    }


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def summarise(pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> dict[str, Any]:
    """Scores over ``(prediction, label)`` pairs.

    Accuracy of every field, the overall field accuracy, precision and recall of the
    champion and economic buyer names, and the separately reported stakeholder and risk
    scores.
    """
    scores = [score_fields(p, lab) for p, lab in pairs]
    n = len(scores)
    out: dict[str, Any] = {f"{f}_accuracy": _ratio(sum(s[f] for s in scores), n) for f in FIELDS}
    out["field_accuracy"] = _ratio(sum(sum(s.values()) for s in scores), n * len(FIELDS))
    for role in ("champion", "economic_buyer"):
        labelled = [(p, lab) for p, lab in pairs if lab.get(role)]
        predicted = [(p, lab) for p, lab in pairs if p.get(role)]
        hit = sum(_name(p.get(role)) == _name(lab.get(role)) for p, lab in labelled)
        out[f"{role}_name_recall"] = _ratio(hit, len(labelled))
        out[f"{role}_name_precision"] = _ratio(
            sum(_name(p.get(role)) == _name(lab.get(role)) for p, lab in predicted),
            len(predicted),
        )
    out |= _set_scores("stakeholders", pairs, lambda x: {_name(s) for s in x or []})
    out |= _set_scores("risks", pairs, _set)
    out["risks_set_accuracy"] = _ratio(
        sum(_set(p.get("risks")) == _set(lab.get("risks")) for p, lab in pairs), n
    )
    return out


def _set_scores(
    key: str, pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], as_set: Any
) -> dict[str, float | None]:
    tp = fp = fn = 0
    for pred, label in pairs:
        got, want = as_set(pred.get(key)), as_set(label.get(key))
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return {f"{key}_precision": precision, f"{key}_recall": recall, f"{key}_f1": f1}


def _value(field: str, data: Mapping[str, Any]) -> Any:
    if field == "champion_name":
        return _get(data.get("champion"), "name")
    if field == "champion_seniority":
        return _get(data.get("champion"), "seniority")
    if field == "economic_buyer_name":
        return _get(data.get("economic_buyer"), "name")
    if field == "competitors":
        return sorted(data.get("competitors") or [])
    return data.get(field)


def wrong_fields(pred: Mapping[str, Any], label: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields a prediction got wrong, with predicted and labelled values."""
    return [
        {"field": f, "predicted": _value(f, pred), "label": _value(f, label)}
        for f, ok in score_fields(pred, label).items()
        if not ok
    ]
