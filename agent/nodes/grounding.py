"""Keep the router's arguments to what the user actually said.

A small model routing a follow-up ("now do the same for Acme Freight") tends to copy the
deal under discussion instead of the one the user just named, and to paraphrase a date
("last week" -> "2026-11-16", or a wrong day). Both are checked here, in Python: a deal
argument must be made of words the user typed (typos allowed), a pronoun for the deal under
discussion, or that deal when the message refers to it; otherwise the words the user typed
after "for", "on", "about" ... are used. A date argument the user did not type is replaced by
the date phrase found in the message when there is one. Access is still enforced by the
tools; this only makes the request that reaches them the one the user made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import SequenceMatcher

from agent.state import FocusDeal

_WORDS = re.compile(r"[a-z0-9]+")
# Words that say nothing about which deal is meant.
_GENERIC = {
    "the", "a", "an", "deal", "deals", "opportunity", "opp", "account", "one", "my", "our",
    "renewal", "expansion", "new", "with", "for", "on", "of", "and", "s", "inc", "corp",
}  # fmt: skip
# Words of a request that are not a deal's name (what to do, question words, fillers).
_REQUEST_WORDS = {
    *_GENERIC, "what", "whats", "what's", "how", "hows", "how's", "why", "when", "where", "who",
    "is", "are", "was", "were", "be", "do", "does", "did", "can", "could", "would", "will",
    "you", "me", "i", "we", "us", "your", "and", "or", "but", "also", "too", "then", "now",
    "ok", "okay", "so", "again", "please", "pls", "thanks", "about", "going", "doing", "look",
    "looks", "looking", "like", "up", "at", "to", "in", "from", "since", "score", "scores",
    "status", "update", "updates", "odds", "chance", "chances", "probability", "win", "risk",
    "risks", "email", "emails", "draft", "write", "follow", "follow-up", "followup", "prep",
    "call", "meeting", "plan", "changes", "changed", "change", "history", "timeline", "next",
    "steps", "step", "low", "high", "same", "show", "tell", "give", "get", "see",
    "anything", "everything", "news", "latest", "well", "good", "bad", "there", "here",
}  # fmt: skip
# Request words that are never part of a deal's name ("renewal" may be).
_NOT_NAME = (_REQUEST_WORDS - _GENERIC) | {"the", "a", "an", "and", "my", "our", "deal", "one"}
_NAME_WORDS = re.compile(r"[\w&'.-]+")
# The message is about a whole pipeline, not one deal.
_PIPELINE_WORDS = re.compile(
    r"\b(pipeline|pipe|deals|book|forecast|team|portfolio|territory|quota|everything|all"
    r"|things|stuff|numbers|business)\b",
    re.I,
)
# The message points at the deal under discussion.
_REFERS_TO_FOCUS = re.compile(
    r"\b(it|its|it's|this|that|these|those|them|they|their|same deal|same one|there)\b", re.I
)
# Where a deal name starts in a request: "... for <deal>", "... on <deal>".
_DEAL_AFTER = re.compile(r"\b(?:for|on|about|with|of|to|at|re)\s+(?:the\s+)?(.+)$", re.I)
_DATE_START = re.compile(r"\b(?:since|as of|from|at|on|back in|in|by|before)\s+", re.I)
_SIMILAR = 0.8
_MAX_DATE_WORDS = 4
# Month and day names that are also everyday words ("may I see ...").
_NOT_DATES = {"may", "march", "sun", "sat", "wed", "mon", "fri", "jan", "dec"}


def _content_words(text: str) -> list[str]:
    return [w for w in _WORDS.findall(text.lower()) if w not in _GENERIC]


def typed_by_user(reference: str, text: str) -> bool:
    """True if a distinctive word of ``reference`` is (close to) a word of ``text``."""
    said = set(_WORDS.findall(text.lower()))
    return any(
        w in said or any(SequenceMatcher(None, w, s).ratio() >= _SIMILAR for s in said)
        for w in _content_words(reference)
    )


def in_users_words(reference: str, text: str) -> str:
    """``reference`` with each word the model respelled replaced by the user's own word.

    The resolver tolerates the user's typos; a model that "corrects" a typo into another
    name ("Irnoclad" -> "Innoclad") would move it further from the deal.
    """
    said = _WORDS.findall(text.lower())
    out = []
    for word in reference.split():
        key = word.lower().strip(".,;:!?'\"")
        if not key or key in said:
            out.append(word)
            continue
        best = max(said, key=lambda s: SequenceMatcher(None, key, s).ratio(), default="")
        close = best and SequenceMatcher(None, key, best).ratio() >= _SIMILAR
        out.append(best if close else word)
    return " ".join(out)


def refers_to_focus(text: str) -> bool:
    """True if the message points at the deal under discussion ("it", "that deal")."""
    return bool(_REFERS_TO_FOCUS.search(text))


def named_deal(text: str) -> str:
    """The part of the message that names a deal: the words after "for"/"on"/... if any."""
    match = _DEAL_AFTER.search(text)
    phrase = match.group(1) if match else text
    return phrase.strip(" ?.!,;:'\"")


def ground_deal(reference: str, text: str, focus: FocusDeal | None, *, pronouns: set[str]) -> str:
    """Return the deal reference the user made in ``text`` (the model's, if it is theirs)."""
    said = " ".join(_WORDS.findall(reference.lower()))
    if said in pronouns:
        return reference
    if typed_by_user(reference, text):
        return in_users_words(reference, text)
    if focus is not None and refers_to_focus(text):
        return focus["name"]
    # "now do the same for Acme Freight" names a deal after a preposition; an elliptical
    # "and Rockport Grocers?" names one without; "and the score?" names none (the focus deal
    # is meant). A named deal is never swapped for the focus deal.
    after_preposition = _DEAL_AFTER.search(text) is not None
    phrase = named_deal(text) if after_preposition else text
    words = _NAME_WORDS.findall(phrase)
    if all(w.lower() in _REQUEST_WORDS for w in words) and focus is not None:
        return focus["name"]
    if after_preposition:
        return phrase
    return " ".join(w for w in words if w.lower() not in _NOT_NAME) or phrase


def date_phrase(text: str, parses: Callable[[str], bool]) -> str | None:
    """The first date phrase in ``text`` that ``parses`` accepts ("since last monday").

    Phrases after "since", "as of", "at" ... come first; then any run of up to four words
    ("a month ago", "this week") anywhere in the message.
    """
    for match in _DATE_START.finditer(text):
        words = text[match.end() :].strip(" ?.!,;:").split()
        # Longest prefix that parses: "last monday for acme" -> "last monday".
        for end in range(len(words), 0, -1):
            phrase = " ".join(words[:end])
            if parses(phrase):
                return phrase
    words = [w.strip(" ?.!,;:") for w in text.split()]
    for start in range(len(words)):
        for end in range(min(len(words), start + _MAX_DATE_WORDS), start, -1):
            phrase = " ".join(words[start:end])
            if phrase and phrase.lower() not in _NOT_DATES and parses(phrase):
                return phrase
    return None


def ground_owner(value: str, text: str) -> str:
    """Return ``value`` if the user named that person, else "" (the user's own scope).

    A small model fills in the signed-in user's own name for "my pipeline" or "the team",
    which would narrow a manager's team view to their own (usually empty) book.
    """
    return value if value and typed_by_user(value, text) else ""


def ground_date(value: str, text: str, parses: Callable[[str], bool]) -> str:
    """Return ``value`` if the user typed it, else the date phrase in ``text`` (if any)."""
    if value and value.lower() in text.lower():
        return value
    found = date_phrase(text, parses)
    return found if found is not None else value


def one_deal_instead_of_pipeline(
    tool: str, args: dict[str, str], text: str, parses: Callable[[str], bool]
) -> tuple[str, dict[str, str]]:
    """Turn a pipeline snapshot of a message that names one deal into that deal's changes.

    "what did Glacier Bay look like since the first of the month" never mentions a pipeline;
    a small model still picks the pipeline snapshot (and may put the deal in ``owner``).
    """
    if tool != "pipeline_snapshot" or _PIPELINE_WORDS.search(text):
        return tool, args
    owner = args.get("owner", "")
    when = args.get("when", "")
    if owner and typed_by_user(owner, text):
        deal = in_users_words(owner, text)
    else:
        rest = text
        found = date_phrase(text, parses)
        if found:
            rest = re.sub(
                rf"\b(?:since|as of|from|at|on|in|by|over|before)?\s*{re.escape(found)}", " ", rest
            )
        deal = " ".join(w for w in _NAME_WORDS.findall(rest) if w.lower() not in _NOT_NAME)
    if not deal:
        return tool, args
    return "deal_changes", {"deal": deal, "since": when}
