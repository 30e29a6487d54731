"""Deterministic fact detection: numbers, money, dates, names, emails (never style).

Used by the chat channel ("no, the amount is 50k, not 40k" fixes a fact, it is not a
preference) and by edit tracking (an edit that only changes names, numbers or dates teaches
nothing about style).
"""

from __future__ import annotations

import re

_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun"
_FACT_TOKEN = re.compile(
    r"""^(
        [$€£]?\d[\d,.]*(k|m|bn|%|x)?            # numbers, money, percentages
      | \d{1,2}(st|nd|rd|th)                    # ordinals (the 3rd)
      | \d{4}-\d{2}-\d{2}                        # ISO dates
      | \d{1,2}[/.]\d{1,2}([/.]\d{2,4})?         # 3/14, 14.3.2026
      | \d{1,2}(:\d{2})?(am|pm)                  # times
      | \d{1,2}:\d{2}
      | (usd|eur|gbp|k|m)
      | [\w.+-]+@[\w-]+\.[\w.]+                  # emails
      | ("""
    + _MONTHS
    + "|"
    + _DAYS
    + r""")
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_WORD = re.compile(r"[\w$€£@.+%:/'-]+")
_STYLE_UNITS = re.compile(
    r"\b(words?|sentences?|lines?|paragraphs?|bullets?|bullet points?|characters?|chars|"
    r"emojis?|exclamation|points?|sections?|items?|minutes? read|pages?)\b",
    re.IGNORECASE,
)
_FACT_NOUNS = re.compile(
    r"\b(amount|price|pricing|quote|value|number|figure|date|close date|deadline|day|time|"
    r"name|surname|title|role|spell(ed|ing)?|email address|phone|company|account|customer|"
    r"quantity|headcount|fleet|trucks|vehicles|depots?|budget|discount|stage|meeting|call|"
    r"contract|renewal|term|seats|licen[cs]es|currency|percent(age)?)\b",
    re.IGNORECASE,
)
# Facts about people and companies: who moved where, who holds which title.
_PEOPLE_FACTS = re.compile(
    r"\b(moved (to|over to)|joined|left|leaves|works? (at|for)|reports? (to|into)|"
    r"(was |got )?promoted|hired|resigned|retired|replaced|took over|"
    r"(is|are|was) (now )?(their|the|our|its) (new )?(ceo|cfo|coo|cto|cio|cro|cmo|vp|svp|evp|"
    r"head|director|manager|lead|owner|buyer|champion|decision maker))\b",
    re.IGNORECASE,
)
_FILLER = {"the", "a", "an", "of", "on", "at", "in", "is", "it's", "its", "was", "to", "and", "s"}


def is_fact_token(token: str) -> bool:
    """True if a single token is a number, amount, date, time, month/day name or email."""
    return bool(_FACT_TOKEN.match(token.strip(".,;:!?()[]\"'")))


def looks_like_name(token: str) -> bool:
    """True for a capitalised word that is not an ordinary sentence word (a proper name)."""
    bare = token.strip(".,;:!?()[]\"'")
    return len(bare) > 1 and bare[0].isupper() and not bare.isupper() and bare.isalpha()


def span_is_factual(text: str) -> bool:
    """True if every meaningful token of ``text`` is a fact (number, date, name, email).

    An empty span (pure deletion/insertion of nothing) is not factual.
    """
    tokens = [t for t in _WORD.findall(text) if t.lower() not in _FILLER]
    if not tokens:
        return False
    return all(is_fact_token(t) or looks_like_name(t) for t in tokens)


def fact_tokens(text: str) -> list[str]:
    """The fact-like tokens in ``text`` (numbers, dates, names after the first word)."""
    tokens = _WORD.findall(text)
    out = [t for t in tokens if is_fact_token(t)]
    out += [t for t in tokens[1:] if looks_like_name(t)]
    return out


def has_style_unit(text: str) -> bool:
    """True if numbers in ``text`` count style units ("under 120 words", "3 bullets")."""
    return bool(_STYLE_UNITS.search(text))


def is_fact_fix(text: str, *, contrast: tuple[str, str] | None = None) -> bool:
    """True if a chat correction fixes a fact rather than expressing a preference.

    Args:
        text: The rep's message.
        contrast: ``(wanted, instead_of)`` if the message has an "X, not Y" shape.

    Examples: "no, the amount is 50k not 40k", "it's Maria, not Marie", "the call is on
    Tuesday". Not facts: "keep it under 120 words", "frame it around savings, not speed".
    """
    if has_style_unit(text):
        return False
    if contrast is not None:
        wanted, instead = contrast
        if span_is_factual(wanted) and span_is_factual(instead):
            return True
    facts = fact_tokens(text)
    if facts and _FACT_NOUNS.search(text):
        return True
    names = facts or [t for t in _WORD.findall(text)[:1] if looks_like_name(t)]
    if names and _PEOPLE_FACTS.search(text):
        return True
    # "it's 40k", "Tuesday, not Monday": short messages that are almost only facts.
    tokens = [t for t in _WORD.findall(text) if t.lower() not in _FILLER]
    return bool(tokens) and len(facts) >= max(1, (len(tokens) + 1) // 2)
