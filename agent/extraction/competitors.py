"""Competitor mentions: known names, building it in-house, vendors named by regular phrases.

Known names come from the org's history (earlier signals, a competitor CRM field) and
settings; a mention is ``negated`` ("we dropped Fleetly"), ``context`` (a former employer,
news, an event) or ``plain``, judged on the clause that names it. Our own names are never
competitors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

IN_HOUSE = "in-house"
_IN_HOUSE = re.compile(
    r"\bin[- ]house\b|\bhome[- ]?grown\b|\binternal build\b|\bbuild\w* (?:it|this|one|something|"
    r"that|our own|their own)\b[^.]{0,30}?\b(?:ourselves|themselves|internally)\b|"
    r"\bbuild\w* (?:our|their) own\b|\bbuild (?:vs\.?|versus|or) buy\b|\b(?:our|my|their) (?:own )?"
    r"(?:developers|devs|dev team|engineers|engineering team|it team|it department)\b[^.]{0,60}?"
    r"\bbuild\b|\bdo it ourselves\b|\bdiy\b",
    re.I,
)
_VENDOR_CUE = re.compile(
    r"(?:also (?:talking|speaking) (?:to|with)|(?:looking|looked) at|evaluating|demo(?:ed)? "
    r"(?:from|with|of)|shortlist(?:ed)?(?: is)?(?: you and)?|trial(?:ling)? (?:of|with)|quote "
    r"from|pilot(?:ing)? with|going with|switch(?:ing)? to|renew(?:ing)? with|"
    r"(?:we're|we are) on|(?:currently|already) us(?:e|ing)|versus|vs\.?|compared? (?:to|with)"
    r"|in (?:for|with) a demo|call with)\s+(?P<name>[A-Z][\w]+(?:[ -][A-Z][\w]+)?)"
)
_NOT_VENDORS = frozenset(
    """excel sheets google microsoft outlook teams zoom slack sap oracle salesforce hubspot
    azure aws gmail spreadsheets erp crm the our you them it this that monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august september
    october november december q1 q2 q3 q4 finance legal procurement it ops operations it's""".split()
)
NEGATION = re.compile(
    r"\bnot (?:looking at|considering|evaluating|talking to|speaking to|going with|using|"
    r"pursuing|in the running)|\bno longer\b|\b(?:ruled|crossed|knocked) (?:\w+ ){0,2}out\b|\bdropped\b|"
    r"\bdropping\b|\bditched\b|\beliminated\b|\brejected\b|\bout of the (?:running|picture)\b|"
    r"\boff the (?:table|list|shortlist)\b|\bis out\b|\bare out\b|\bwas out\b|\bmoved away\b|"
    r"\bgot rid of\b|\bnot an option\b|\bwon't be\b|\bdecided against\b|\bwalked away\b",
    re.I,
)
CONTEXT = re.compile(
    r"\bused to work\b|\bworked (?:at|for)\b|\bcareer at\b|\byears (?:at|with)\b|\bacquired\b|\bacquisition\b|"
    r"\bsponsor\w*\b|\bstand\b|\bbooth\b|\bheadline\b|\bnews\b|\barticle\b|\bformer (?:colleague|"
    r"employer)\b|\bnothing to do with us\b|\bunrelated\b|\bfun fact\b|\brumou?r\b",
    re.I,
)


@dataclass(frozen=True)
class Mention:
    """Where a competitor is mentioned and how (``plain``, ``negated`` or ``context``)."""

    name: str
    line: int
    text: str
    how: str


def _pattern_for(name: str) -> re.Pattern[str]:
    parts = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name) or [name]
    body = r"[\s-]?".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.I)


_CLAUSE = re.compile(r"[.;!?]\s+|,\s*(?=(?:and|but|while|whereas)\b)", re.I)


def _how(text: str, pattern: re.Pattern[str]) -> str:
    """How the clause(s) naming the competitor talk about it."""
    clauses = [c for c in _CLAUSE.split(text) if pattern.search(c)] or [text]
    if any(NEGATION.search(c) for c in clauses):
        return "negated"
    if any(CONTEXT.search(c) for c in clauses):
        return "context"
    return "plain"


def competitor_mentions(
    lines: Sequence[tuple[int, str]],
    *,
    known: Sequence[str],
    sellers: Sequence[str],
    people: Sequence[str] = (),
) -> list[Mention]:
    """Find competitor mentions in numbered lines.

    Args:
        lines: ``(line number, text)`` pairs (buyer lines and narration, not headers).
        known: Canonical competitor names from the org's history and settings.
        sellers: Our own names; never a competitor.
        people: Person names in the activity; never a vendor.
    """
    seller_keys = {s.casefold() for s in sellers}
    person_words = {w.casefold() for p in people for w in p.split()}
    patterns = {k: _pattern_for(k) for k in known if k and k.casefold() not in seller_keys}
    mentions: list[Mention] = []
    for number, text in lines:
        for name, pattern in patterns.items():
            if name == IN_HOUSE:
                continue
            if pattern.search(text):
                mentions.append(Mention(name, number, text, _how(text, pattern)))
        if _IN_HOUSE.search(text):
            mentions.append(Mention(IN_HOUSE, number, text, _how(text, _IN_HOUSE)))
        for m in _VENDOR_CUE.finditer(text):
            name = m["name"]
            words = {w.casefold() for w in name.replace("-", " ").split()}
            if (
                words & _NOT_VENDORS
                or words & person_words
                or any(s in name.casefold() or name.casefold() in s for s in seller_keys)
                or any(p.search(name) for p in patterns.values())
            ):
                continue
            mentions.append(Mention(name, number, text, _how(text, _pattern_for(name))))
    return mentions
