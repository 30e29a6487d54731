"""Rule-based reading of a rep's correction: clean it, classify it, turn it into a statement.

The small embedded model is slow and unreliable at open-ended rewriting, so the common
shapes of a correction are read deterministically: "no, X not Y", "X instead of Y",
"too long", "don't use X", "stop X", "always X", "I prefer X", "X is fine". The LLM (when
given) is only a fallback for messages no rule recognises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from memory.preference_models import Polarity

_LEAD = re.compile(
    r"^(?:(?:no+|nope|nah)(?=\s*[,.!:;\-–—])|hm+|um+|uh+|ugh+|argh+|meh|well|ok(?:ay)?|so|actually|again|please|pls|"
    r"hey|keel|listen|look|wait|sorry(?: but)?|also|and|but|hmm+|oh|yeah|yes|one (?:more )?thing|"
    r"i said|like i said|as i said|remember)\b[\s,.!:;\-–—]*",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"^(?:can|could|would|will) you(?: please)?\s+|^(?:i need|i want|i'd like|i would like) "
    r"you to\s+|^you (?:should|need to|must|have to)\s+|^(?:remember|make sure|be sure) "
    r"(?:to|you)\s+|^(?:please|pls)\s+|^let's\s+|^try to\s+",
    re.IGNORECASE,
)
_TRAIL = re.compile(
    r"[\s,.;:!?\-–—]*(?:please|pls|thanks|thank you|thx|ok\??|okay\??|for me|going forward|"
    r"from now on|in future|in the future|next time|again)?[\s,.;:!?\-–—]*$",
    re.IGNORECASE,
)
_STOP_THAT = re.compile(
    r"^(?:please\s+)?(?:stop(?: doing)?|quit(?: doing)?|don'?t do|do not do|never do|forget|"
    r"drop|undo|remove)\s+(?:that|this|it|the last one|that one|that preference|that rule)"
    r"(?:\s+(?:any ?more|again|please|thanks|from now on))*\W*$",
    re.IGNORECASE,
)
_CONTRAST = re.compile(
    r"^(?P<want>.+?)(?:,|;|\s)\s*(?:not|instead of|rather than|as opposed to|over|more than)\s+"
    r"(?P<instead>[^,.;]+?)\s*[.!]*$",
    re.IGNORECASE,
)
_NOT_BUT = re.compile(r"^not\s+(?P<instead>.+?),?\s+but\s+(?P<want>.+)$", re.IGNORECASE)
_AVOID = re.compile(
    r"^(?:no|not(?: use| add| put| say| write| include| mention| using| adding)?|"
    r"don'?t(?: use| add| put| say| write| include| mention| do)?|do not(?: use| add| "
    r"put| say| write| include| mention)?|never(?: use| add| put| say| write| include)?|avoid|"
    r"stop(?: using| adding| saying| writing| putting| with)?|quit|drop|lose|remove|cut(?: out)?(?! it (?:down|to))|"
    r"skip|less|fewer|without|get rid of|ditch|enough with|calm down with|tone down|"
    r"not so many|not so much|leave out|nix|i hate|i dislike|i don'?t like|i can'?t stand)\b\s*",
    re.IGNORECASE,
)
_ALLOW = re.compile(
    r"\b(?:is|are) (?:fine|ok(?:ay)?|allowed|good)\b|\b(?:you can|feel free to|it'?s fine to|"
    r"it'?s ok(?:ay)? to|don'?t mind)\b",
    re.IGNORECASE,
)
_TOO = re.compile(r"\b(?:way |far |much |a bit |a little |kind of |bit )?too (\w+)", re.IGNORECASE)
_TOO_FIX = {
    "long": "keep it shorter",
    "wordy": "keep it shorter",
    "verbose": "keep it shorter",
    "lengthy": "keep it shorter",
    "short": "add more detail",
    "brief": "add more detail",
    "terse": "add more detail",
    "formal": "use a more casual tone",
    "stiff": "use a more casual tone",
    "casual": "use a more formal tone",
    "informal": "use a more formal tone",
    "salesy": "sound less salesy",
    "pushy": "sound less pushy",
    "aggressive": "sound less pushy",
    "generic": "make it more specific",
    "vague": "make it more specific",
}
_PREFER = re.compile(
    r"^i(?:'d| would)? (?:prefer|like|rather|want|always|never|usually)\s+", re.IGNORECASE
)
_FILLER_WORDS = re.compile(
    r"\b(?:the|a|an|it|this|that|my|our|your|their|just|only|really|always|please|emails?|"
    r"drafts?|messages?|use|using|put|add|write|say|saying|keep|make|be|with|in|of|for|to|"
    r"on|about|around|any|all|more|so)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    """What a correction says, read by rules.

    Attributes:
        statement: Plain statement to store ("frame it around cost savings, not speed").
        polarity: ``do``, ``avoid`` or ``allow``.
        target: What it is about, without the polarity words.
        contrast: What it is set against ("speed"), if any.
        recognised: True if a known correction shape matched (else the cleaned text).
        kind: A kind suggested by the LLM (used only when the words name no known concept).
    """

    statement: str
    polarity: Polarity
    target: str
    contrast: str
    recognised: bool
    kind: str = ""


def squash(text: str) -> str:
    """Collapse whitespace."""
    return " ".join(text.split())


def strip_wrappers(text: str) -> str:
    """Remove leading interjections ("no,", "hmm", "actually"), requests and trailing fluff."""
    text = squash(text).strip(" \"'`")
    for _ in range(4):
        new = _LEAD.sub("", text, count=1).strip()
        new = _ASK.sub("", new, count=1).strip()
        if new == text:
            break
        text = new
    text = _TRAIL.sub("", text).strip()
    return text


def is_stop_that(text: str) -> bool:
    """True for an anaphoric removal request: "stop doing that", "don't do that again"."""
    return bool(_STOP_THAT.match(strip_wrappers(text) or squash(text)))


def core_target(text: str) -> str:
    """What a statement is about: polarity and filler words removed ("exclamation marks")."""
    text = _AVOID.sub("", text.strip(), count=1)
    text = _ALLOW.sub(" ", text)
    text = _FILLER_WORDS.sub(" ", text)
    return squash(re.sub(r"[^\w'!?%$€£ -]", " ", text)).strip(" -").lower()


def _polarity(text: str) -> Polarity:
    if _ALLOW.search(text):
        return "allow"
    clauses = [c.strip() for c in re.split(r"[,;.:!?\-–—]+\s", text) if c.strip()]
    if any(_AVOID.match(c) for c in clauses or [text]):
        return "avoid"
    return "do"


def _rewrite_too(text: str) -> tuple[str, bool]:
    found = False

    def repl(m: re.Match[str]) -> str:
        nonlocal found
        word = m.group(1).lower()
        if word in _TOO_FIX:
            found = True
            return _TOO_FIX[word]
        if word in ("many", "much"):
            return m.group(0)
        found = True
        return f"less {word}"

    lead = re.compile(
        r"^(?:this|that|it|the (?:email|draft|message))(?: is|'s| was| reads| sounds)\s+"
    )
    text = _TOO.sub(repl, lead.sub("", text))
    text = re.sub(r"^too (many|much)\s+", r"fewer ", text, flags=re.IGNORECASE)
    return text, found


def read_correction(message: str) -> Reading:
    """Read a correction message into a statement with polarity, target and contrast.

    Args:
        message: The rep's words (abuse already removed).

    Returns:
        A :class:`Reading`; ``recognised`` is False when no known shape matched (the
        statement is then the cleaned message).
    """
    text = strip_wrappers(message)
    text, too = _rewrite_too(text)
    text = strip_wrappers(text) or text
    text = _PREFER.sub("", text) if _PREFER.match(text) else text
    want, instead = text, ""
    if m := _NOT_BUT.match(text):
        want, instead = m.group("want").strip(), m.group("instead").strip()
    elif (m := _CONTRAST.match(text)) and len(m.group("want").split()) >= 1:
        want, instead = m.group("want").strip(" ,;"), m.group("instead").strip()
    polarity = _polarity(want if instead else text)
    recognised = too or bool(instead) or polarity != "do" or bool(_imperative(text))
    statement = squash(text)[:300].rstrip(" ,;:-")
    if statement:
        statement = (
            statement[0].lower() + statement[1:] if not statement[:2].isupper() else statement
        )
    return Reading(
        statement=statement,
        polarity=polarity,
        target=squash(want).strip(" ,;:.!?").lower()[:200],
        contrast=squash(instead).strip(" ,;:.!?").lower()[:200],
        recognised=recognised,
    )


_IMPERATIVE = re.compile(
    r"^(?:make|keep|use|write|frame|sign|open|start|begin|lead|end|close|mention|include|"
    r"reference|add|put|focus|emphasi[sz]e|highlight|talk|bring|tie|stick|always|never|"
    r"prefer|go|be|sound|avoid|drop|cut|trim|shorten|lengthen|list|break|number|bullet|"
    r"address|call|send|cc|follow|ask|offer|stay|limit|state|lose|remove|skip|less|more|"
    r"fewer|shorter|longer|only|just|no|don'?t|do not|stop|quit)\b",
    re.IGNORECASE,
)


def _imperative(text: str) -> bool:
    return bool(_IMPERATIVE.match(text))
