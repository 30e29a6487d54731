"""Phrase bank for written notes (meeting notes and reps' CRM notes), in the third person.

Same slots as :mod:`evals.sim.lines_call`, plus ``{ebref3}`` (the budget holder by
title, "their CFO") and ``{product}``.
"""

from __future__ import annotations

NOTES: dict[str, list[str]] = {
    "small_talk": [
        "Started with a tour of the new cross-dock.",
        "Some chat about peak season staffing before we got going.",
        "{wf} had just come back from leave, so a slow start.",
        "Started ten minutes late; their previous meeting overran.",
    ],
    "agenda": [
        "Intro meeting to understand how they plan routes today.",
        "First conversation: current process, pain points, fit.",
    ],
    "pain": [
        "{w} described nightly spreadsheet planning across {depots} and about {fleet} vehicles.",
        "Dispatch loses the first two hours of every shift to re-planning after cancellations.",
        "Fuel is their second-biggest cost after labour; routes are known to be loose.",
        "Drivers finishing late three days a week; overtime is a board-level topic.",
        "Missed roughly {pct}% of delivery windows last quarter.",
        "Planning knowledge sits with two planners; key-person risk if either is out.",
    ],
    "product": [],
    "question": [
        "{w} asked about SSO (Azure AD) and data hosting; both covered.",
        "{w} asked how the ERP integration works; we walked through the order import connector.",
        "{w} wanted to know about offline mode for drivers and the audit log.",
        "Questions from {w} on training time and planner overrides.",
    ],
    "champion_push": [
        "{w} walked {ebref3} through our deck on {day} and says they will keep pushing internally.",
        "{w} is actively selling this internally and put it on the agenda for the quarterly planning review.",
        "{w} forwarded our one-pager to their leadership group with a recommendation to move, and is chasing for a decision.",
        "{w} pitched it to the other depot managers on {day}; two are on board, working on the third.",
        "{w} told us to leave the internal side to them; they're taking it to {ebref3} themselves.",
    ],
    "enthusiast": [
        "{w} liked the map view.",
        "{w} was positive about the demo in general.",
    ],
    "eb_attends": [
        "{w} ({wt}) joined; {wf} owns the budget and focused on payback.",
        "Budget holder {w} ({wt}) attended and asked for the all-in year-one cost.",
    ],
    "eb_absent": [
        "{w} ({wt}) holds the budget but did not attend; {of} will brief them.",
        "Budget sits with {w} ({wt}), who was double-booked today.",
    ],
    "competitor": [
        "{w} mentioned they are also talking to {comp}.",
        "They have {comp} on the shortlist alongside us.",
    ],
    "competitor:incumbent": [
        "They're on {comp} today; renewing is the default option.",
        "{comp} is the incumbent and their contract is up in the autumn.",
    ],
    "competitor:in-house": [
        "IT is floating the idea of building it in-house.",
        "An in-house build is the alternative on the table.",
    ],
    "competitor_lead": [
        "{comp} came in roughly 20% cheaper, per {w}.",
        "Some stakeholders prefer {comp}, which is seen as simpler.",
    ],
    "competitor_lead:incumbent": [
        "Staying on {comp} is the path of least resistance for many of them."
    ],
    "competitor_lead:in-house": [
        "Their CTO still thinks an in-house build is cheaper over three years."
    ],
    "counter": [],
    "competitor_negated": [
        "{w} said {comp} is no longer being considered.",
        "They ruled out {comp} earlier; not in the running.",
    ],
    "competitor_context": [
        "Side note: {w} used to work at {comp}, unrelated to this evaluation.",
        "{w} mentioned one of their carriers runs {comp} on its own trucks, which doesn't affect us.",
    ],
    "bc_shared": [
        "Sent the business case built from their own numbers; it has gone to the ops leads too.",
        "Shared our ROI model with the buying group.",
    ],
    "bc_shared:buyer": [
        "{w} circulated the business case to their leadership team on {day}.",
        "{w} shared the ROI summary with the exec team and put their name on it.",
    ],
    "bc_suggested": [
        "{w} said an ROI case might be needed later, not now.",
        "Floated the idea of a business case at some point; no action yet.",
    ],
    "pricing": [
        "Discussed pricing: {amt} per year.",
        "Price point of {amt} a year; {wf} didn't flinch.",
    ],
    "pricing:ballpark": ["Gave a ballpark of around {amt} annually."],
    "pricing:final": [
        "Landed on {amt} with a two-year term.",
        "Final commercial position {amt}, net 45 payment terms.",
    ],
    "risk:security review": ["Their security review could take about six weeks."],
    "risk:integration concerns": ["Concern about the ERP integration effort."],
    "risk:driver adoption": ["Driver adoption is a worry; the last app rollout went badly."],
    "risk:timeline slip": ["Timeline may slip into next quarter."],
    "risk:budget pressure": ["Budgets are tighter than planned this year."],
    "risk:legal review": ["Legal has redlines on the liability cap; could drag."],
    "risk:champion disengaged": [
        "Worried we're losing {wf}'s attention.",
        "Momentum with {wf} seems to be fading.",
    ],
    "next_confirmed": [
        "Next meeting booked for {when}; invite accepted.",
        "Follow-up agreed for {when}, calendar invite sent and accepted.",
    ],
    "next_proposed": [
        "Suggested {when} for a follow-up; not confirmed yet.",
        "Floated {when} for the next session, {wf} to confirm.",
    ],
    "next_vague": [
        "No date set; {wf} will circle back.",
        "Agreed to reconnect in a few weeks, nothing booked.",
    ],
    "note_summary": [
        "Quick call with {w} today.",
        "Touched base with {w} ({wt}).",
        "Short catch-up with {w}.",
        "Follow-up with {w} after the last session.",
        "Spoke to {w} on the phone.",
    ],
    "note_detail": [
        "Wants a pilot on one depot first.",
        "Asked for a reference customer in a similar industry.",
        "Sent the deck and the recording afterwards.",
        "Their planning team is stretched, so timing matters.",
        "Pilot scope discussed: one depot, six weeks.",
        "Interested in the driver app more than expected.",
        "Needs the data export spec before the next session.",
        "Will share a sample week of orders so we can run a test plan.",
    ],
    "referral": [
        "Referral from {partner}, our channel partner, on {today}. {w} ({wt}) at {co} is looking at routing tools ahead of peak season.",
        "Partner intro ({today}): {w}, {wt} at {co}, wants to replace spreadsheet planning.",
    ],
    "no_show": [
        "{w} didn't join the call we'd pencilled in for {today}. Waited ten minutes, sent a note, no reply.",
        "No-show from {w} on the {today} call. Emailed afterwards, nothing back yet. No next step on the calendar.",
        "{w} missed our call today ({today}), no message. Tried their mobile, went to voicemail.",
    ],
    "closing:closing_dark": [
        "Closing this out on {today}. No response from {w} to any follow-up since the last call.",
        "Marking as lost ({today}): {co} went dark, several follow-ups unanswered.",
    ],
    "closing:closing_shock": [
        "Closing as lost on {today}. Given the news from {co}, there is no path this year.",
        "Closed lost ({today}) after the update from {co}; will revisit next fiscal year.",
    ],
    "rescope": [
        "{co} wants to re-scope to include a second depot; moving back to solution while the SE redoes the design.",
        "Scope change requested by {w}: adding the cold-chain fleet. Reworking the solution before re-issuing the proposal.",
    ],
    "won_note": [
        "Signed. {co} goes live with {product} next month. Great work from the whole team.",
        "Order form countersigned by {co}. Kickoff to be scheduled with onboarding.",
    ],
    "loss_no_decision": [
        "Closed lost on {today}, no decision: {w} says priorities shifted and the project is parked.",
        "{w} confirmed on {today} they won't proceed this year. No vendor chosen; project shelved.",
    ],
    "negotiation": [
        "Commercial session to close the open points: term length and payment schedule."
    ],
    "shock_champion_left": [
        "{o} told us {w} has left {co}; last day was {day}.",
    ],
    "shock_budget": [
        "{w} told us finance froze all new spend as of {day}.",
    ],
}
