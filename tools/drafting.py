"""Content drafting: follow-up and re-engagement emails, mutual action plans, call prep.

Drafts are grounded in the deal's stored facts, shaped by the rep's and org's learned
preferences (when the preference store is available) and by the org's significant
cross-deal patterns that apply to the deal (``tools.patterns``): winning framings against
its competitors, stall predictors it matches, winning signals it lacks. Every draft says
which preferences and patterns shaped it. When a single-threaded deal matches a stall or
multi-threading pattern, a follow-up or re-engagement email asks the buyer to involve
another stakeholder; the model is told to, and if its draft still lacks the ask, one
sentence is added (and ``data`` says so). Without a chat model the draft is a
deterministic template over the same facts.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from memory.db import session_scope
from memory.models import Org
from tools.context import Preference, PreferencesUnavailableError, ToolContext
from tools.deal_facts import DealFacts, load_deal_facts
from tools.deal_ref import find_deal
from tools.patterns import DealPatterns, framing_patterns_for
from tools.prompts import KIND_TITLES, DraftKind, draft_messages, multithread_instruction
from tools.results import ToolResult

MAX_NOTES_CHARS = 500
DRAFT_MAX_TOKENS = 360
MAX_DEAL_PATTERNS = 3
MULTITHREAD_KINDS = ("follow_up_email", "re_engagement_email")
_PEOPLE = (
    r"(?:colleague|teammate|stakeholder|economic buyer|decision[- ]maker|whoever|someone|"
    r"anyone|your (?:team|manager|boss|leadership|sponsor|finance|cfo)|cfo|finance|procurement|"
    r"leadership)"
)
MULTITHREAD_LANGUAGE = (
    re.compile(rf"\b(?:bring|loop|includ|involv|invit|add|cc|copy|introduc)\w*\b[^.?!\n]{{0,80}}?\b{_PEOPLE}", re.I),
    re.compile(r"\bwho else\b", re.I),
    re.compile(r"\b(?:other|another|additional|more) (?:stakeholders?|colleagues?|decision[- ]makers?)\b", re.I),
    re.compile(r"\beconomic buyer\b", re.I),
)  # fmt: skip
"""Any of these in a draft counts as asking the buyer to involve another stakeholder."""
_SIGN_OFF = re.compile(
    r"^(?:best|thanks|thank you|regards|kind regards|cheers|all the best|warm)", re.I
)


def has_multithreading(text: str) -> bool:
    """The draft asks the buyer to involve another stakeholder (:data:`MULTITHREAD_LANGUAGE`)."""
    return any(r.search(text) for r in MULTITHREAD_LANGUAGE)


def _other_contact(facts: DealFacts) -> str:
    engaged = set(facts.engaged_buyers or [])
    for b in facts.buyers:
        if b["name"] not in engaged:
            return b["name"] + (f" ({b['title']})" if b.get("title") else "")
    return ""


def _multithread_sentence(facts: DealFacts) -> str:
    who = _other_contact(facts)
    if who:
        return f"Would it make sense to bring {who} into our next conversation, so we plan this with everyone who has a say?"  # fmt: skip
    return (
        "Would it make sense to bring in a colleague who will weigh in on the decision, ideally "
        "whoever owns the budget? That way we can plan the next steps with everyone who has a say."
    )


def _with_sentence(text: str, sentence: str, rep: str) -> str:
    """``text`` with ``sentence`` as its own paragraph, before the sign-off if there is one."""
    paras = text.rstrip().split("\n\n")
    last = paras[-1].strip()
    signed = (
        len(paras) > 1 and len(last.splitlines()) <= 3 and (rep in last or _SIGN_OFF.match(last))
    )
    if signed:
        return "\n\n".join([*paras[:-1], sentence, paras[-1]])
    return "\n\n".join([*paras, sentence])


def _template(kind: DraftKind, facts: DealFacts, rep: str, multithread: bool = False) -> str:
    text = _base_template(kind, facts, rep)
    if multithread and kind in MULTITHREAD_KINDS:
        return _with_sentence(text, _multithread_sentence(facts), rep)
    if multithread and kind == "call_prep":
        return (
            text
            + "\n- Multi-thread: ask who else should join the next call (ideally the economic buyer)"
        )
    return text


def _base_template(kind: DraftKind, facts: DealFacts, rep: str) -> str:
    contact = facts.buyers[0]["name"].split()[0] if facts.buyers else "there"
    last = facts.recent[0] if facts.recent else None
    recap = (
        f"our {last['kind']} on {last['date']} ({last['summary']})"
        if last
        else "our last conversation"
    )
    close = facts.close_date or "your target date"
    if kind == "follow_up_email":
        return (
            f"Subject: {facts.account}: next steps\n\nHi {contact},\n\nThank you for {recap}. "
            f"To keep {facts.name} on track for {close}, could we agree the next step this week?"
            f"\n\nBest,\n{rep}"
        )
    if kind == "re_engagement_email":
        return (
            f"Subject: Still a priority for {facts.account}?\n\nHi {contact},\n\nIt has been a while "
            f"since {recap}. Is improving this still on your list for this quarter? If it helps, I can "
            f"send a short summary of where we left things.\n\nBest,\n{rep}"
        )
    if kind == "mutual_action_plan":
        return (
            f"Mutual action plan: {facts.name} (target close {close})\n"
            "1. Confirm success criteria - buyer and seller - this week\n"
            "2. Technical validation - seller - next two weeks\n"
            "3. Business case reviewed with the economic buyer - buyer\n"
            "4. Commercial terms and legal review - both\n"
            f"5. Signature - buyer - by {close}"
        )
    return (
        f"Call prep: {facts.name}\n- Goal: agree the next concrete step\n- Stage: {facts.stage}, "
        f"close {close}\n- Last touch: {recap}\n- Questions: who else decides? what could delay "
        "this? what does success look like?"
    )


def _preferences(ctx: ToolContext, request: str) -> tuple[list[Preference], str]:
    if ctx.preferences is None:
        return [], "Learned preferences are not available yet in this installation."
    try:
        found = ctx.preferences.relevant_for(ctx.viewer, request, limit=5)
    except PreferencesUnavailableError:
        return [], "Learned preferences are unavailable right now, so none were applied."
    if not found:
        return [], "No learned preferences applied (none matched this draft yet)."
    return found, "Applied preferences: " + "; ".join(f'"{p.statement}" ({p.scope})' for p in found)


def draft_content(ctx: ToolContext, deal: str, kind: DraftKind) -> ToolResult:
    """Draft a follow-up email, re-engagement email, mutual action plan or call prep for a deal.

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        deal: The deal's name or its account's name, as the user said it.
        kind: "follow_up_email", "re_engagement_email", "mutual_action_plan" or "call_prep".

    The user's own words this turn (``ctx.request``) are passed to the writer as instructions
    ("keep it short, mention the pilot").
    """
    if kind not in KIND_TITLES:
        kind = "follow_up_email"
    notes = " ".join(ctx.request.split())[:MAX_NOTES_CHARS]
    with session_scope(ctx.engine) as session:
        found = find_deal(session, ctx, deal, tool="draft_content")
        if isinstance(found, ToolResult):
            return found
        facts = load_deal_facts(session, ctx, found.deal_id)
        org = session.get(Org, ctx.viewer.org_id)
    if facts is None:
        return ToolResult(
            "draft_content", "not_found", f"{found.name} has no state yet to draft from."
        )
    applied, pref_note = _preferences(ctx, f"{KIND_TITLES[kind]} {notes}")
    patterns, multithread = _patterns(ctx, facts, kind)
    pattern_note = _pattern_note(patterns, multithread)
    appended = False
    if ctx.chat_model is None:
        text = _template(kind, facts, ctx.viewer.name, multithread is not None)
        source = "template"
    else:
        facts_lines = facts.lines(with_patterns=False) + [
            f"Today: {ctx.now.date().isoformat()}",
            f"A good next-step date: {(ctx.now + timedelta(days=7)).date().isoformat()}",
        ]
        required = (
            [multithread_instruction(str(multithread.get("text", "")), _other_contact(facts))]
            if multithread is not None
            else []
        )
        messages = draft_messages(
            kind=kind,
            rep=ctx.viewer.name,
            org=org.name if org else ctx.viewer.org_id,
            facts=facts_lines,
            preferences=[p.statement for p in applied],
            patterns=[_prompt_line(p) for p in patterns],
            notes=notes,
            system_prefix=ctx.system_prompt,
            required=required,
        )
        model = ctx.chat_model.with_config(tags=["keel:draft"])
        reply = model.invoke(messages, max_tokens=DRAFT_MAX_TOKENS)
        text = str(reply.text).strip()
        source = "model"
        if not text:
            text, source = (
                _template(kind, facts, ctx.viewer.name, multithread is not None),
                "template",
            )
        elif multithread is not None and kind in MULTITHREAD_KINDS and not has_multithreading(text):
            # The model was told to and did not: the pattern must still reach the buyer.
            text, appended = (
                _with_sentence(text, _multithread_sentence(facts), ctx.viewer.name),
                True,
            )
            pattern_note += " The draft lacked that ask, so Keel added one sentence for it."
    data: dict[str, Any] = {
        "kind": kind,
        "title": KIND_TITLES[kind],
        "draft": text,
        "source": source,
        "preferences": [p.__dict__ for p in applied],
        "preference_note": pref_note,
        "patterns": [p.get("key") for p in patterns],
        "pattern_note": pattern_note,
        "multithreading": None
        if multithread is None
        else {
            "pattern": multithread.get("key"),
            "text": multithread.get("text"),
            "appended": appended,
        },  # fmt: skip
        "notes": notes,
    }
    return ToolResult(
        "draft_content",
        "ok",
        f"{KIND_TITLES[kind].capitalize()} for {facts.name}:\n\n{text}\n\n{pref_note} {pattern_note}",
        data=data,
        deal_id=found.deal_id,
        deal_name=facts.name,
    )


def _harmful(p: dict[str, Any]) -> bool:
    diff = p.get("difference")
    if diff is None:
        diff = float(p.get("rate_pattern", 0)) - float(p.get("rate_rest", 0))
    return p.get("relation") != "has" or float(diff) < 0


def _patterns(
    ctx: ToolContext, facts: DealFacts, kind: DraftKind
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Patterns that shape this draft, and the one that calls for multi-threading (if any)."""
    carried = DealPatterns(facts.patterns, tuple(facts.engaged_buyers or ()))
    multithread = carried.multithread if kind in MULTITHREAD_KINDS or kind == "call_prep" else None
    deal = [p for p in facts.patterns if _harmful(p) and p is not multithread]
    deal = ([multithread] if multithread is not None else []) + deal
    return framing_patterns_for(ctx, facts.deal_id) + deal[:MAX_DEAL_PATTERNS], multithread


def _prompt_line(p: dict[str, Any]) -> str:
    text = str(p.get("text", ""))
    relation = p.get("relation")
    if relation == "stall":
        return f"This deal matches a stall pattern: {text}"
    if relation == "lacks":
        return f"This deal lacks a winning signal: {text}"
    return text


def _pattern_note(patterns: list[dict[str, Any]], multithread: dict[str, Any] | None) -> str:
    if not patterns:
        return "No cross-deal pattern applied to this deal, so none shaped this draft."
    texts = (str(p.get("text", p.get("key"))).rstrip(". ") for p in patterns)
    note = "Patterns applied: " + "; ".join(texts) + "."
    if multithread is not None:
        note += (
            " The deal has one engaged buyer contact, so the draft asks to involve another "
            f'stakeholder (pattern "{multithread.get("key")}").'
        )
    return note
