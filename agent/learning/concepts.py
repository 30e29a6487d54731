"""A small lexicon of writing-style concepts, so differently worded corrections can match.

Sentence embeddings of short instructions are weak at paraphrase: "drop the exclamation
points" and "no !!! please" share little surface, while "avoid buzzwords" and "no
exclamation marks" look alike. Tagging each statement with the concepts it names (a
general vocabulary of sales-writing style: length, tone, framing, structure, content,
channel) gives a deterministic second opinion used for merging, promotion and
contradiction. Two poles of one axis (short/long, formal/casual, first/full name) let
"avoid long emails" mean the same as "keep emails short".
"""

from __future__ import annotations

import re
from functools import lru_cache

_C = {
    # length
    "short": r"short(?:er)?|brief(?:er)?|brevity|concise|succinct|terse|trim|shorten|cut (?:it )?"
    r"down|under \d+ words|fewer words|less text|to the point|skimmable|"
    r"(?:\d+|one|two|three|four|five|six) (?:sentences|lines)(?: max)?",
    "long": r"long(?:er)?|lengthy|wordy|verbose|wall of text|more detail|detailed|elaborate|"
    r"expand|more context",
    # tone
    "exclamation": r"exclamation|!+|exclaim\w*|bangs?",
    "buzzwords": r"buzz ?words?|jargon|corporate speak|marketing speak|business speak|"
    r"management speak|cliches?|game[- ]changer|synerg\w*|leverage|best[- ]in[- ]class|"
    r"cutting[- ]edge|disrupt\w*|paradigm|world[- ]class|revolutionary|fluff(?:y)?",
    "emoji": r"emojis?|smileys?|emoticons?",
    "formal": r"formal|professional(?:ly)?|polished|business[- ]like",
    "casual": r"casual|informal|relaxed|conversational|chatty",
    "warm": r"warm(?:er)?|friendly|friendlier|personal",
    "salesy": r"salesy|pushy|hard[- ]sell|aggressive|hype\w*|over[- ]the[- ]top",
    "apology": r"sorry|apologi\w+",
    "urgency": r"urgen\w*|asap|pressure|limited time",
    # framing
    "cost_savings": r"cost savings?|sav(?:e|es|ed|ing|ings)|cheaper|lower(?:ing)? (?:their |the )?"
    r"costs?|cost reduction|reduc\w* (?:their |the )?costs?|money|spend(?:ing)? less|opex|"
    r"cost[- ]cutting|cut(?:ting)? costs?",
    "speed": r"speed|fast(?:er)?|quicker|quickly|velocity|time to value|rapid\w*|how fast",
    "roi": r"roi|return on investment|payback|business case",
    "features": r"features?|functionality|capabilit\w+|bells and whistles",
    "risk": r"risks?|compliance|security|safety",
    "revenue": r"revenue|growth|upsell",
    # structure
    "bullets": r"bullets?|bullet points?|bulleted|numbered|(?:as|in) a list|list(?:ed)? (?:out|as)",
    "prose": r"prose|paragraph form|full sentences",
    "next_steps": r"next steps?|action items?|to-?dos?",
    "signoff": r"sign[- ]?off|signature|sign (?:it )?(?:with|as)|sign with|my name at the end|"
    r"end with my|close with my",
    "first_name": r"first name",
    "full_name": r"full name|last name|surname|job title|full signature",
    "opening": r"open(?:ing)? with|start(?:s)? with|begin(?:s)? with|lead(?:s)? with|up ?front|"
    r"at the top|first line|first sentence|kick off with|put .{0,30} first",
    "numbers": r"numbers|figures|metrics|data|stats|statistics|kpis",
    "question": r"questions?",
    "greeting": r"greeting|salutation",
    "subject": r"subject lines?",
    "ps": r"p\.s\.|\bps\b|postscript",
    # content
    "mutual_plan": r"mutual (?:action )?plan|\bmap\b|joint plan|action plan|success plan|"
    r"close plan|shared plan",
    "case_study": r"case stud(?:y|ies)|customer stor(?:y|ies)|reference customers?|testimonials?",
    "pricing": r"pric(?:e|es|ing)|discounts?|quote",
    "competitors": r"competitors?|competition|rivals?|alternatives",
    "agenda": r"agenda",
    "recap": r"recap|summary|summari[sz]e",
    # channel / timing
    "call": r"(?:phone )?calls?|ring|talk live|on the phone",
    "email": r"emails?|e-mails?",
    "meeting": r"meetings?|in person|face to face",
    "morning": r"mornings?|early",
}
CONCEPTS: dict[str, re.Pattern[str]] = {
    name: re.compile(rf"(?<![\w])(?:{pattern})(?![\w])", re.IGNORECASE)
    for name, pattern in _C.items()
}
POLES: dict[str, str] = {
    "short": "long",
    "long": "short",
    "formal": "casual",
    "casual": "formal",
    "first_name": "full_name",
    "full_name": "first_name",
    "bullets": "prose",
    "prose": "bullets",
}
"""Axes with two poles: avoiding one pole means wanting the other."""
_CONTEXT = {"email", "signoff", "next_steps", "opening"}
"""Concepts that locate a preference rather than define it (never a pole to flip)."""


KIND_OF: dict[str, str] = {
    **dict.fromkeys(("short", "long"), "length"),
    **dict.fromkeys(
        (
            "exclamation",
            "buzzwords",
            "emoji",
            "formal",
            "casual",
            "warm",
            "salesy",
            "apology",
            "urgency",
        ),
        "tone",
    ),
    **dict.fromkeys(("cost_savings", "speed", "roi", "features", "risk", "revenue"), "framing"),
    **dict.fromkeys(
        ("bullets", "prose", "signoff", "first_name", "full_name", "opening", "greeting", "subject")
        + ("ps", "question"),
        "structure",
    ),
    **dict.fromkeys(
        ("mutual_plan", "case_study", "pricing", "competitors", "agenda", "recap", "numbers"),
        "content",
    ),
    **dict.fromkeys(("call", "meeting"), "channel"),
    "next_steps": "content",
    "morning": "timing",
}
KIND_ORDER = ("length", "tone", "framing", "structure", "content", "channel", "timing")
"""When a statement names concepts of several kinds, the first kind in this order wins."""


def kind_of(tagset: frozenset[str]) -> str | None:
    """The preference kind the concepts point to (``None`` without a defining concept)."""
    kinds = {KIND_OF[t] for t in tagset if t in KIND_OF}
    return next((k for k in KIND_ORDER if k in kinds), None)


@lru_cache(maxsize=65536)
def tags(text: str) -> frozenset[str]:
    """The concepts ``text`` names."""
    return frozenset(name for name, rx in CONCEPTS.items() if rx.search(text))


def effective(tagset: frozenset[str], polarity: str) -> tuple[frozenset[str], str]:
    """Normalise "avoid <pole>" to "do <other pole>" where the concept has two poles.

    Returns:
        ``(tags, polarity)`` after normalisation.
    """
    if polarity != "avoid":
        return tagset, polarity
    poles = [t for t in tagset if t in POLES and t not in _CONTEXT]
    if not poles:
        return tagset, polarity
    flipped = frozenset(POLES[t] if t in POLES else t for t in tagset)
    return flipped, "do"


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two tag sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def opposed(a: frozenset[str], b: frozenset[str]) -> bool:
    """True if ``a`` holds one pole of an axis and ``b`` the other (short vs long)."""
    return any(POLES.get(t) in b for t in a)
