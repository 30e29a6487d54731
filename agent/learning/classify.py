"""Deterministic classifiers for chat messages: kind of preference, abuse, pleasantries.

Kinds are decided by cue words in a fixed precedence (length before channel, so "keep
emails under 120 words" is about length, not about email as a channel).
"""

from __future__ import annotations

import re

from agent.learning.concepts import kind_of, tags

_KIND_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "length",
        re.compile(
            r"\b(short(?:er)?|long(?:er)?|length|lengthy|wordy|verbose|brief|briefer|concise|"
            r"succinct|terse|words?|trim|shorten|wall of text|less text|more detail|detail(?:ed)?|"
            r"tl;?dr|to the point|padding|fluff|one[- ]liner|paragraphs? max)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "framing",
        re.compile(
            r"\b(frame|framing|angle|pitch|positioning|position it|value|savings?|save|saving|"
            r"cost|costs|cheaper|money|roi|payback|speed|faster|fast|quick(?:er)?|velocity|"
            r"efficien\w*|revenue|risk|outcomes?|benefits?|features?|emphasi[sz]e|narrative)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "tone",
        re.compile(
            r"(!|\b(exclamation|tone|formal|casual|informal|friendly|warm|polite|salesy|pushy|"
            r"hype|hyped|buzzwords?|jargon|marketing speak|corporate speak|cliches?|emojis?|"
            r"game[- ]changer|synerg\w*|excited|enthusias\w*|apologi[sz]\w*|sorry|humble|"
            r"confident|aggressive|desperate|fluffy|stiff|upbeat|cheesy)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "structure",
        re.compile(
            r"\b(bullets?|bullet points?|bulleted|list|numbered|sign[- ]?off|signature|sign with|"
            r"first name|last name|full name|open with|start with|begin with|lead with|end with|"
            r"close with|up front|upfront|at the top|at the end|paragraphs?|headings?|headers?|"
            r"subject line|greeting|order|structure|format|layout|p\.?s\.?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "content",
        re.compile(
            r"\b(mention|include|reference|refer to|bring up|talk about|add|cite|quote|link|"
            r"attach|agenda|plan|action plan|map|next steps?|case stud(?:y|ies)|numbers|"
            r"metrics|figures|data|competitors?|pricing|price|recap)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "channel",
        re.compile(
            r"\b(email|e-mail|call|phone|text|sms|slack|linkedin|teams|zoom|in person|"
            r"voicemail|video)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "timing",
        re.compile(
            r"\b(morning|afternoon|evening|monday|tuesday|wednesday|thursday|friday|weekend|"
            r"before \d|after \d|early|late|timezone|time zone|follow[- ]up within)\b",
            re.IGNORECASE,
        ),
    ),
)

_ABUSE = re.compile(
    r"\b(f+u+c*k+\w*|fck\w*|sh[i1]t+\w*|crap+y?|bullsh\w*|bs|idiot\w*|stupid|dumb(?:ass)?|"
    r"moron\w*|useless|garbage|trash|rubbish|suck[s]?|sucked|wtf|damn\w*|hell|bloody|"
    r"screw (?:you|this|it)|shut up|hate (?:you|this)|pathetic|worthless|incompetent|"
    r"retard\w*|piece of \w+|you suck|go to hell|kill yourself|jesus christ)\b",
    re.IGNORECASE,
)
_INSULT_PHRASE = re.compile(
    r"\b(?:you(?:'re| are)?|what a|such an?|this is|that's|that is|it's|its|it is)\s+"
    r"(?:an? |so |such |total |complete |absolute |fucking |bloody )*"
    r"(?:idiot|moron|useless|garbage|trash|rubbish|stupid|dumb|pathetic|worthless|"
    r"incompetent|crap|shit|joke|disaster)\w*",
    re.IGNORECASE,
)
_PLEASANTRY = re.compile(
    r"^(?:thanks?(?: you)?|thx|ty|ok(?:ay)?|k|great|perfect|cool|nice|good|awesome|got it|"
    r"sounds good|looks good|lgtm|love it|yes|yep|sure|fine|done|send it|ship it|exactly|"
    r"right|correct|cheers|brilliant|excellent|amazing)(?:[\s,!.]+(?:thanks?|thank you|"
    r"thx|send it|ship it|looks good|perfect|great|that works|works for me))*[\s!.]*$",
    re.IGNORECASE,
)


def classify_kind(text: str, target: str = "") -> str:
    """Return the preference kind of a statement (``other`` when no cue matches).

    The concepts named in ``target`` (the wanted part) decide first, then those of the
    whole statement, then cue words.
    """
    for part in (target, text):
        found = kind_of(tags(part)) if part else None
        if found:
            return found
    for kind, cue in _KIND_CUES:
        if cue.search(text):
            return kind
    return "other"


def abuse_terms(text: str) -> list[str]:
    """Abusive words or insults in ``text`` (empty if none)."""
    found = [m.group(0) for m in _INSULT_PHRASE.finditer(text)]
    found += [m.group(0) for m in _ABUSE.finditer(text)]
    return found


def strip_abuse(text: str) -> str:
    """Remove insults and swear words, keeping any instruction around them."""
    text = _INSULT_PHRASE.sub(" ", text)
    text = _ABUSE.sub(" ", text)
    text = re.sub(r"\s+([,.!?])", r"\1", text)
    text = re.sub(r"([,.!?;:\-–—])(\s*[,.!?;:\-–—])+", r"\1", text)
    return " ".join(text.split()).strip(" ,;:-–—")


def is_pleasantry(text: str) -> bool:
    """True for acknowledgements that carry no instruction ("thanks, looks good")."""
    return bool(_PLEASANTRY.match(" ".join(text.split())))


def content_words(text: str) -> int:
    """Number of words with at least three letters (is anything left to learn from?)."""
    return len(re.findall(r"[A-Za-z]{3,}", text))
