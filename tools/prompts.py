"""Prompts of the drafting tool, beside the description of each kind of content."""

from __future__ import annotations

from typing import Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

DraftKind = Literal["follow_up_email", "re_engagement_email", "mutual_action_plan", "call_prep"]

KIND_TITLES: dict[str, str] = {
    "follow_up_email": "follow-up email",
    "re_engagement_email": "re-engagement email",
    "mutual_action_plan": "mutual action plan",
    "call_prep": "call prep notes",
}

KIND_BRIEFS: dict[str, str] = {
    "follow_up_email": (
        "Write a follow-up email after the latest conversation: start with 'Subject:', thank "
        "them briefly, recap what matters to them, and propose one concrete next step with a date."
    ),
    "re_engagement_email": (
        "Write a short re-engagement email to a buyer who has gone quiet: start with 'Subject:', "
        "reference the last real conversation, offer something useful, and ask one easy question."
    ),
    "mutual_action_plan": (
        "Write a mutual action plan as a numbered list of steps from today to the close date: "
        "each step with an owner (buyer or seller side) and a target date, ending at signature."
    ),
    "call_prep": (
        "Write call prep notes as short bullet points: goal of the call, what we know, open "
        "risks, three questions to ask, and the next step to secure."
    ),
}

MULTITHREAD_INSTRUCTION = (
    "Required: only one person on the buyer side is engaged in this deal, and in this org's "
    'deals that pattern goes with stalling ("{pattern}"). Include one sentence asking the '
    "buyer to bring another stakeholder into the conversation, for example {who}."
)
"""Filled by :func:`multithread_instruction`; the tool checks the draft obeyed it."""

DRAFT_SYSTEM = (
    "You are Keel, writing sales content for {rep}, a seller at {org}. Use only the deal "
    "facts given; never invent names, numbers or dates, and never leave placeholders in "
    "brackets. Write in plain text, ready to send, under {words} words; sign emails as {rep}. "
    "Do not add commentary before or after the content."
)


def multithread_instruction(pattern: str, who: str = "") -> str:
    """The instruction that makes a draft ask for another buyer-side stakeholder.

    Args:
        pattern: The stall or multi-threading pattern the deal matches, as people read it.
        who: Someone to suggest (a named colleague); default the economic buyer or a colleague.
    """
    return MULTITHREAD_INSTRUCTION.format(
        pattern=pattern.strip(),
        who=who or "the economic buyer or a colleague who will weigh in on the decision",
    )


def draft_messages(
    *,
    kind: DraftKind,
    rep: str,
    org: str,
    facts: list[str],
    preferences: list[str],
    notes: str,
    patterns: list[str] | None = None,
    words: int = 180,
    system_prefix: str = "",
    required: list[str] | None = None,
) -> list[BaseMessage]:
    """Return the messages asking for one draft of ``kind`` grounded in ``facts``.

    With ``system_prefix`` (the agent's system prompt) the writing instructions move into
    the user turn, so the prompt starts exactly like the agent's other calls. ``patterns``
    are cross-deal patterns to use in the framing; ``required`` are instructions derived
    from them that the draft must follow (:func:`multithread_instruction`).
    """
    parts = [KIND_BRIEFS[kind], "", "Deal facts:", *facts]
    if preferences:
        parts += ["", "Follow these preferences of the rep and their org:"]
        parts += [f"- {p}" for p in preferences]
    if patterns:
        parts += ["", "Patterns from this org's deals that apply to this one (let them shape it):"]
        parts += [f"- {p}" for p in patterns]
    if required:
        parts += ["", *required]
    if notes.strip():
        parts += ["", f"The rep's request: {notes.strip()}"]
    writer = DRAFT_SYSTEM.format(rep=rep, org=org, words=words)
    if system_prefix:
        return [SystemMessage(system_prefix), HumanMessage(writer + "\n\n" + "\n".join(parts))]
    return [SystemMessage(writer), HumanMessage("\n".join(parts))]
