"""The eight scoring dimensions: which features feed each, and how drivers read in words.

A dimension's score is a view of the composite model, not a separate opinion: its score
is ``100 * sigmoid(c)`` where ``c`` is the sum of the calibrated log-odds contributions
(SHAP values) of its features. 50 means "neither helps nor hurts against the average
deal"; a contribution of +1 log-odds (odds x2.7) gives 73. Features that describe the
deal's context (rep history, segment, custom CRM fields) form a ninth group,
``context``, that is part of the composite but not a dimension.
"""

from __future__ import annotations

import math
from typing import Any

DIMENSIONS: tuple[str, ...] = (
    "champion",
    "economic_buyer",
    "pain_business_case",
    "decision_process",
    "competition",
    "momentum_next_steps",
    "multithreading_engagement",
    "commercials",
)
CONTEXT = "context"

LABELS = {
    "champion": "Champion",
    "economic_buyer": "Economic buyer",
    "pain_business_case": "Pain and business case",
    "decision_process": "Decision process",
    "competition": "Competition",
    "momentum_next_steps": "Momentum and next steps",
    "multithreading_engagement": "Multi-threading and engagement",
    "commercials": "Commercials",
    CONTEXT: "Deal context",
}

FEATURE_DIMENSION: dict[str, str] = {
    "champion_identified": "champion",
    "champion_seniority": "champion",
    "champion_mentions": "champion",
    "days_since_champion": "champion",
    "champion_left": "champion",
    "eb_identified": "economic_buyer",
    "eb_engaged": "economic_buyer",
    "business_case_shared": "pain_business_case",
    "business_case_early": "pain_business_case",
    "risks_count": "pain_business_case",
    "stage_index": "decision_process",
    "days_in_stage": "decision_process",
    "stage_transitions": "decision_process",
    "stage_regressions": "decision_process",
    "close_date_pushes": "decision_process",
    "close_push_days": "decision_process",
    "days_to_close_date": "decision_process",
    "forecast_rank": "decision_process",
    "age_days": "decision_process",
    "competitors_count": "competition",
    "competitor": "competition",
    "next_meeting_last": "momentum_next_steps",
    "next_meeting_30d": "momentum_next_steps",
    "days_since_buyer_activity": "momentum_next_steps",
    "buyer_activities_30d": "momentum_next_steps",
    "unanswered_followups": "momentum_next_steps",
    "days_since_signal": "momentum_next_steps",
    "engaged_stakeholders": "multithreading_engagement",
    "engaged_stakeholders_14d": "multithreading_engagement",
    "top_engaged_seniority": "multithreading_engagement",
    "stakeholders_mentioned": "multithreading_engagement",
    "buyer_activities": "multithreading_engagement",
    "conversations": "multithreading_engagement",
    "inbound_emails": "multithreading_engagement",
    "buyer_activity_rate": "multithreading_engagement",
    "activities": "multithreading_engagement",
    "extracted_activities": "multithreading_engagement",
    "amount_log": "commercials",
    "amount_changes": "commercials",
    "amount_change_pct": "commercials",
    "pricing_discussed": "commercials",
    "budget_risk": "commercials",
    "currency": "commercials",
}
"""Raw feature name -> dimension; anything else (rep, segment, ``crm:*``) is context."""


def dimension_of_feature(name: str) -> str:
    """Dimension of a raw feature or matrix column (``competitor=X`` -> competition)."""
    base = name.split("=", 1)[0]
    return FEATURE_DIMENSION.get(base, CONTEXT)


def dimension_score(contribution: float) -> int:
    """0-100 score of a dimension from its summed log-odds contribution."""
    return int(round(100.0 / (1.0 + math.exp(-max(min(contribution, 30.0), -30.0)))))


_SENIORITY = {0: "no champion identified", 1: "the champion is an individual contributor",
              2: "the champion is manager-level", 3: "the champion is director-level",
              4: "the champion is an executive"}  # fmt: skip

_TOP_ENGAGED = {0: "no buyer engaged", 1: "only individual contributors engaged",
                2: "a manager is the most senior buyer engaged",
                3: "a director is the most senior buyer engaged",
                4: "an executive is engaged"}  # fmt: skip

_FLAGS: dict[str, tuple[str, str]] = {
    "champion_identified": ("no champion identified yet", "a champion is identified"),
    "champion_left": ("the champion is still in place", "the champion has left"),
    "eb_identified": ("the economic buyer is not identified", "the economic buyer is identified"),
    "eb_engaged": ("the economic buyer has not been engaged", "the economic buyer is engaged"),
    "business_case_shared": ("no business case shared yet", "a business case has been shared"),
    "business_case_early": (
        "no business case before the third meeting",
        "the business case came before the third meeting",
    ),
    "pricing_discussed": ("pricing not discussed yet", "pricing has been discussed"),
    "budget_risk": ("no budget risk raised", "a budget risk was raised"),
    "next_meeting_last": (
        "no agreed next step in the last conversation",
        "a next meeting was agreed in the last conversation",
    ),
    "next_meeting_30d": ("no next meeting agreed in 30 days", "a next meeting agreed recently"),
}

_COUNTS: dict[str, tuple[str, str, str]] = {
    "champion_mentions": ("no conversation names the champion", "one conversation names the champion", "{v} conversations name the champion"),
    "risks_count": ("no risks raised", "one risk raised", "{v} risks raised"),
    "stage_transitions": ("the stage has not moved", "one stage change", "{v} stage changes"),
    "stage_regressions": ("no stage regressions", "the stage went backwards once", "the stage went backwards {v} times"),
    "close_date_pushes": ("the close date has not been pushed", "the close date was pushed once", "the close date was pushed {v} times"),
    "competitors_count": ("no competitor mentioned", "one competitor mentioned", "{v} competitors mentioned"),
    "buyer_activities_30d": ("no buyer interaction in the last 30 days", "one buyer interaction in the last 30 days", "{v} buyer interactions in the last 30 days"),
    "unanswered_followups": ("no unanswered follow-ups", "one unanswered follow-up", "{v} unanswered follow-ups"),
    "engaged_stakeholders": ("no buyer stakeholder engaged", "one buyer stakeholder engaged", "{v} buyer stakeholders engaged"),
    "engaged_stakeholders_14d": ("no stakeholder engaged in the first two weeks", "one stakeholder engaged in the first two weeks", "{v} stakeholders engaged in the first two weeks"),
    "stakeholders_mentioned": ("no buyer stakeholders known", "one buyer stakeholder known", "{v} buyer stakeholders known"),
    "buyer_activities": ("no buyer interactions", "one buyer interaction", "{v} buyer interactions"),
    "conversations": ("no calls or meetings with the buyer", "one call or meeting with the buyer", "{v} calls or meetings with the buyer"),
    "inbound_emails": ("no emails from the buyer", "one email from the buyer", "{v} emails from the buyer"),
    "activities": ("no logged activities", "one logged activity", "{v} logged activities"),
    "extracted_activities": ("no activities with extracted signals", "one activity with extracted signals", "{v} activities with extracted signals"),
    "amount_changes": ("the amount has not changed", "the amount changed once", "the amount changed {v} times"),
    "rep_closed_deals": ("the rep has no closed deals yet", "the rep has closed one deal", "the rep has closed {v} deals"),
}  # fmt: skip

_DAYS: dict[str, str] = {
    "days_since_champion": "{v} days since the champion was last heard from",
    "days_in_stage": "{v} days in the current stage",
    "close_push_days": "close date pushed by {v} days in total",
    "days_since_buyer_activity": "{v} days since the last buyer interaction",
    "days_since_signal": "{v} days since the last extracted conversation",
    "age_days": "deal is {v} days old",
}


def describe(column: str, value: Any) -> str:
    """Plain-language reading of one feature value (a driver)."""
    base, _, category = column.partition("=")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{base.replace('_', ' ')} not known yet"
    if category:
        if base == "competitor":
            return f"{category} is competing" if value else f"{category} is not in the deal"
        label = base.removeprefix("crm:").replace("_", " ")
        return f"{label} is {category}" if value else f"{label} is not {category}"
    v = float(value)
    if base == "champion_seniority":
        return _SENIORITY.get(int(round(v)), "champion seniority unknown")
    if base in _FLAGS:
        return _FLAGS[base][1 if v >= 0.5 else 0]
    if base in _COUNTS:
        n = int(round(v))
        return _COUNTS[base][min(n, 2)].format(v=n)
    if base in _DAYS:
        return _DAYS[base].format(v=int(round(v)))
    if base == "days_to_close_date":
        d = int(round(v))
        return f"close date in {d} days" if d >= 0 else f"close date passed {-d} days ago"
    if base == "stage_index":
        return f"pipeline stage {int(round(v * 100))}% of the way to close"
    if base == "forecast_rank":
        names = {0: "omitted", 1: "pipeline", 2: "best case", 3: "commit"}
        return f"forecast category {names.get(int(round(v)), 'unknown')}"
    if base == "amount_log":
        return f"deal size {math.expm1(v):,.0f}"
    if base == "amount_change_pct":
        return f"amount changed {v * 100:+.0f}% since first entered"
    if base == "rep_win_rate":
        return f"the rep's win rate is {v * 100:.0f}%"
    if base == "top_engaged_seniority":
        return _TOP_ENGAGED.get(int(round(v)), "no buyer engaged")
    if base == "buyer_activity_rate":
        return f"{v:.1f} buyer interactions per month"
    return f"{base.removeprefix('crm:').replace('_', ' ')} = {v:g}"
