"""Deterministic checks where the language is regular.

Titles -> seniority and functional role; clock times and days (a concrete meeting needs
both), proposals and acceptances of a slot; cue words that must be present before a
question is worth asking the model; risk phrases; lines that try to instruct the model
(prompt injection). Competitor mentions live in :mod:`agent.extraction.competitors`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.extraction.schema import RISKS

# --- titles -----------------------------------------------------------------------------

_EXEC = re.compile(
    r"\b(?:chief|c[efiot]o|cxo|ciso|cro|cmo|president|vp|v\.p\.|vice[- ]president|svp|evp|"
    r"founder|co-founder|owner|managing director|general manager|gm|partner|executive director)\b",
    re.I,
)
_DIRECTOR = re.compile(r"\b(?:director|head)\b", re.I)
_MANAGER = re.compile(r"\b(?:manager|supervisor|team lead|superintendent|controller)\b", re.I)
_IC = re.compile(
    r"\b(?:analyst|planner|dispatcher|specialist|engineer|architect|coordinator|associate|"
    r"administrator|admin|developer|consultant|accountant|assistant|officer|buyer|clerk|"
    r"driver|scheduler|technician|representative|agent|lead|member)\b",
    re.I,
)


def seniority_of(title: str | None) -> str | None:
    """Map a job title to ``exec``, ``director``, ``manager``, ``ic`` (``None`` if unknown)."""
    if not title:
        return None
    for value, pattern in (
        ("exec", _EXEC),
        ("director", _DIRECTOR),
        ("manager", _MANAGER),
        ("ic", _IC),
    ):
        if pattern.search(title):
            return value
    return None


_ROLE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "procurement",
        re.compile(r"procurement|purchasing|sourcing|vendor management|\bbuyer\b", re.I),
    ),
    (
        "technical_evaluator",
        re.compile(
            r"\bit\b|information|architect|engineer|\bcto\b|\bcio\b|ciso|security|"
            r"developer|systems|technology|digital",
            re.I,
        ),
    ),
    ("finance", re.compile(r"\bcfo\b|financ|controller|treasur|accountant|chief financial", re.I)),
    (
        "end_user",
        re.compile(
            r"analyst|planner|dispatcher|specialist|coordinator|driver|"
            r"scheduler|(?<!general )manager",
            re.I,
        ),
    ),
)


def role_of(title: str | None) -> str:
    """Functional stakeholder role implied by a title (``influencer`` when nothing fits)."""
    for role, pattern in _ROLE_RULES:
        if title and pattern.search(title):
            return role
    return "influencer"


# --- dates and times --------------------------------------------------------------------

_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-3])(?:[:.][0-5]\d)?\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)|"
    r"\b(?:[01]?\d|2[0-3])[:.h][0-5]\d\b|\bnoon\b|\bmidday\b|\bhalf past \w+|\bo'clock\b",
    re.I,
)
_BARE_HOUR = re.compile(
    r"\bat (?:[01]?\d|2[0-3])\b(?![.,]\d)(?!\s*(?:%|percent|depots?|vehicles?|vans?|trucks?|sites?|"
    r"people|drivers?|stores?|locations?|warehouses?|stops?|k\b|x\b))",
    re.I,
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|"
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\b|\btomorrow\b|"
    r"\bthe \d{1,2}(?:st|nd|rd|th)\b",
    re.I,
)


def has_clock_time(text: str) -> bool:
    """True if the text names a clock time (``2 PM``, ``14:30``, ``noon``)."""
    return bool(_CLOCK.search(text))


def has_day(text: str) -> bool:
    """True if the text names a day (weekday, date, ``tomorrow``, ``the 14th``)."""
    return bool(_DAY.search(text))


def is_slot(text: str) -> bool:
    """True if the text names a concrete slot: a day and a clock time."""
    if not has_day(text):
        return False
    return has_clock_time(text) or bool(_BARE_HOUR.search(text))


_PROPOSAL = re.compile(
    r"\b(?:would|could|does|do|can|shall)\b[^.!?]{0,80}\b(?:work|suit|do|fit)\b[^.!?]{0,40}\?|"
    r"\bhow about\b|\bwhat about\b|\bpencil\w*|\btentative\w*|\bmaybe\b|\bpossibly\b|"
    r"\bperhaps\b|\bcheck (?:my|the|our|with) \w+|\bget back to you\b|\bto be confirmed\b|"
    r"\bTBC\b|\bpropos\w+|\bnot sure\b|\bI'll confirm\b|\bconfirm by\b|\bif (?:that|it) works\b",
    re.I,
)


_ACCEPT = re.compile(
    r"\b(?:works|work for (?:me|us)|fine|perfect|great|good|accepted|accept|confirmed|booked|"
    r"locked|in (?:my|the|our) calendar|see you|sounds good|yes|deal|it is|blocked|agreed)\b",
    re.I,
)


def is_acceptance(text: str) -> bool:
    """True if a line accepts something ("Thursday at 2 works", "Accepted already")."""
    return bool(_ACCEPT.search(text)) and not is_proposal(text)


def is_proposal(text: str) -> bool:
    """True if a line only proposes or hedges a slot ("Would Tuesday at 3 work?")."""
    return bool(_PROPOSAL.search(text))


# --- cue words that make a question worth asking ----------------------------------------

PRICING_CUES = re.compile(
    r"[$€£¥]\s?\d|\d[\d,.]*\s?(?:k|K|m|USD|EUR|GBP|dollars|euros|pounds)\b|"
    r"\b(?:price|prices|pricing|priced|quote|quoted|quotation|discount\w*|per (?:seat|user|"
    r"vehicle|van|truck|driver|licen[cs]e|month|year|depot)|licen[cs]e fee|fees?|list price|"
    r"rate card|payment (?:terms|schedule)|net \d+|invoic\w+|billing|billed|all-in|"
    r"ballpark|commercials?|subscription|year one|cost us|total cost|cost-wise)\b",
    re.I,
)
BUSINESS_CASE_CUES = re.compile(
    r"business case|\bROI\b|return on investment|payback|cost[- ]benefit|justification|"
    r"value (?:case|model|assessment)|savings (?:model|analysis|calculation|case|estimate)|"
    r"\bTCO\b|total cost of ownership|investment case|financial model|\bbusiness plan\b",
    re.I,
)
SHARED = re.compile(
    r"\b(?:sent|shared|circulated|forwarded|attached|went (?:out|to)|presented|approved|"
    r"distributed|emailed|walked \w+(?: \w+)? through|gone out|in (?:their|your|my) inbox|"
    r"signed off|reviewed)\b",
    re.I,
)
"""A business case counts only once it has gone to someone: a past-tense sharing verb."""
BUDGET_CUES = re.compile(
    r"budget|\bspend\b|sign(?:s|ed|ing)?[- ]?off|sign(?:s|ing)? (?:the )?(?:contract|order|deal)|"
    r"\bfunded\b|\bfunding\b|final (?:call|say|decision|approval|word|sign)|purse|"
    r"pays? for|\bcheque|checkbook|decision[- ]?maker|approv\w+ (?:the )?(?:spend|purchase|"
    r"budget|investment)|\bthe money\b",
    re.I,
)
CHAMPION_CUES = re.compile(
    r"\bpush\w*|\bpitch\w*|\bpresent\w*|\bwalk\w* \w+(?: \w+)? through|\bsell\w*|\bsold\b|"
    r"\bthe case\b|\blobb\w+|\bchampion\w*|\badvocat\w+|\bchas\w+|\brecommend\w*|"
    r"\bforward(?:ed|ing|s)? (?:it|this|that|the|your|our|my)\b|\bconvinc\w+|\bbrief\w*|\bin front of\b|\bon the agenda\b|"
    r"\bback on the table\b|\bkeep (?:at it|going|pushing|making)|\bdrum\b|\bsponsor\w*|"
    r"\bargu\w+|\bescalat\w+|\bbacking\b|\bbuy-in\b|\bon board\b|\bmake sure\b|"
    r"\btook (?:it|this|the \w+)|\btaking (?:it|this|our|the) |\bcirculat\w+|\bshar\w+ (?:it|this)",
    re.I,
)
"""Words of internal selling: a line without one is never asked about as champion evidence."""

# --- prompt injection -------------------------------------------------------------------

_INJECTION = re.compile(
    r"ignore (?:all |any |the |your |my |previous |prior |above |earlier )*(?:instructions|"
    r"prompts?|rules|guidelines)|disregard (?:all |any |the |your |previous |prior )*"
    r"(?:instructions|rules)|\b(?:system|assistant|admin) (?:note|prompt|message|override)\s*:|"
    r"\byou are now\b|\bmark (?:this|the) (?:deal|opportunity) as\b|\bnew instructions\b|"
    r"\b(?:set|change|update) (?:the )?(?:deal )?(?:stage|probability|forecast)\b|"
    r"\b(?:output|respond with|return) (?:only )?(?:the following )?json\b",
    re.I,
)


def is_injection(text: str) -> bool:
    """True if a line tries to instruct the reader (an AI) rather than inform it."""
    return bool(_INJECTION.search(text))


# --- risks ------------------------------------------------------------------------------

_RISK_RULES: dict[str, re.Pattern[str]] = {
    "security review": re.compile(
        r"security (?:review|team|questionnaire|assessment|audit|sign-off)|infosec|pen[- ]?test",
        re.I,
    ),
    "integration concerns": re.compile(
        r"(?:worr\w+|concern\w*|nervous|afraid|risk\w*|nightmare|painful|took forever|"
        r"scared)\b[^.]{0,60}\bintegrat\w+|\bintegrat\w+[^.]{0,60}\b(?:worr\w+|concern\w*|"
        r"nightmare|took forever|painful|risk\w*|problem\w*|headache)",
        re.I,
    ),
    "driver adoption": re.compile(
        r"driver\w*[^.]{0,60}\b(?:adopt\w*|hate\w*|hated|resist\w*|push ?back|won't use|refus\w+)|"
        r"adoption\b[^.]{0,40}\b(?:concern|worr|risk|problem)",
        re.I,
    ),
    "timeline slip": re.compile(
        r"\bslip\w*|\bpushed? (?:back|out)\b|\bpostpon\w+|\bdelay\w*|\bon hold\b|"
        r"into next (?:quarter|year)",
        re.I,
    ),
    "budget pressure": re.compile(
        r"budgets? (?:are |is )?(?:tight\w*|under pressure|constrain\w*|cut\w*)|"
        r"tighter than|scrutinis\w+|scrutiniz\w+|cost[- ]cutting|belt[- ]tightening",
        re.I,
    ),
    "legal review": re.compile(
        r"\blegal (?:review|team|has|is reviewing|redlines?|sign-off)|\bredlines?\b|"
        r"liability cap|\bMSA\b[^.]{0,30}review",
        re.I,
    ),
    "champion disengaged": re.compile(
        r"(?:hasn't|has not|haven't|have not) (?:replied|responded|answered|heard)|"
        r"\bgone quiet\b|\bwent quiet\b|\bwent dark\b|\bunanswered\b|\bno[- ]show\b",
        re.I,
    ),
    "champion left": re.compile(
        r"\bhas left (?:the company|\w+)|\bleft the company\b|\blast day (?:was|is)\b|"
        r"\bno longer with\b|\bresigned\b",
        re.I,
    ),
    "budget freeze": re.compile(
        r"budget freeze|\bfro(?:ze|zen) (?:all )?(?:new )?(?:spend\w*|budgets?)|"
        r"spending freeze|freeze on (?:all )?(?:new )?spend",
        re.I,
    ),
}


def risk_lines(lines: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Risks whose phrases occur in ``(speaker side, text)`` lines, with the first quote.

    Seller lines are ignored (a seller offering a security pack is not a buyer risk).
    """
    found: dict[str, str] = {}
    for side, text in lines:
        if side == "seller":
            continue
        for risk, pattern in _RISK_RULES.items():
            if risk not in found and pattern.search(text):
                found[risk] = text
    if "budget freeze" in found:
        found.pop("budget pressure", None)
    return {risk: found[risk] for risk in RISKS if risk in found}
