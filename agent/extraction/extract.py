"""The extraction pipeline: one activity in, signals with verified evidence out.

Deterministic parsing finds the lines, the people and the regular signals; the model
answers a few small constrained questions about the rest (which line shows a champion
pushing internally, who owns the budget, is this competitor really in play, was a slot
agreed, was a business case shared, was price discussed), each only when cue words make
the answer possibly yes. Every answer is checked against the parsed text before it
becomes a signal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel

from agent.extraction import competitors, prompts, rules, slots
from agent.extraction.chunking import check_size, chunk_lines, merge_signals, verify_evidence
from agent.extraction.config import ExtractionConfig
from agent.extraction.document import ActivityInput, Document, Line, Person, read_document
from agent.extraction.resolve import budget_owner, subject_of
from agent.extraction.schema import (
    ActivitySignals,
    Champion,
    EconomicBuyer,
    ExtractionResult,
    Stakeholder,
)
from agent.extraction.version import extractor_version
from agent.llm_errors import LLMOutputError

logger = logging.getLogger(__name__)


class Extractor:
    """Extracts :class:`ActivitySignals` from activities with an injected chat model."""

    def __init__(self, model: BaseChatModel, config: ExtractionConfig) -> None:
        self.model = model
        self.config = config
        self.version = extractor_version(model)
        self.seller = config.sellers[0] if config.sellers else "the seller"

    def extract(self, activity: ActivityInput) -> ExtractionResult:
        """Extract the signals of one activity.

        Raises:
            ExtractionInputError: The text is empty or longer than the hard limit.
            agent.llm_errors.LLMError: The model is unavailable (an unusable answer to one
                question only leaves that signal unset, with a warning).
        """
        start = time.perf_counter()
        check_size(activity.body, self.config.settings.max_chars)
        doc = read_document(
            activity, sellers=self.config.sellers, seller_domains=self.config.seller_domains
        )
        run = _Run(self, doc)
        chunks = chunk_lines(doc.lines, self.config.settings.chunk_chars)
        parts = [
            run.chunk(lines, activity.subject if i == 0 else None) for i, lines in enumerate(chunks)
        ]
        signals = merge_signals(parts)
        run.finish(signals, activity.kind, ask=len(chunks) == 1)
        run.warnings += verify_evidence(signals, activity.body)
        return ExtractionResult(
            signals=signals,
            extractor=self.version,
            llm_calls=run.calls,
            seconds=time.perf_counter() - start,
            chunks=len(chunks),
            warnings=run.warnings,
        )


class _Run:
    """State of one extraction: the document, counters, warnings."""

    def __init__(self, extractor: Extractor, doc: Document) -> None:
        self.x = extractor
        self.doc = doc
        self.calls = 0
        self.warnings: list[str] = []
        self.sides = {p.name: p.side for p in doc.people}
        self.injected = {ln.number for ln in doc.lines if rules.is_injection(ln.text)}
        for n in sorted(self.injected):
            self.warnings.append(f"line {n} reads like instructions to an AI; treated as data")

    # --- the model --------------------------------------------------------------------
    def ask(self, question: prompts.Question) -> dict[str, Any] | None:
        self.calls += 1
        limit = self.x.config.settings.max_answer_tokens
        try:
            answer = self.x.model.with_structured_output(question.schema, max_tokens=limit).invoke(
                question.messages
            )
        except LLMOutputError as exc:
            self.warnings.append(f"{question.key}: unusable answer ({exc}); signal left unset")
            return None
        return answer if isinstance(answer, dict) else None

    def pick(self, question: prompts.Question, options: Sequence[int]) -> Line | None:
        answer = self.ask(question)
        number = answer.get("line") if answer else None
        if not number:
            return None
        if number not in options:
            self.warnings.append(f"{question.key}: answer line {number!r} is not an option")
            return None
        return self.doc.lines[int(number) - 1]

    def yes(self, question: prompts.Question) -> bool:
        answer = self.ask(question)
        return bool(answer) and answer.get("answer") == "yes"  # type: ignore[union-attr]

    # --- one chunk --------------------------------------------------------------------
    def usable(self, lines: Sequence[Line]) -> list[Line]:
        return [ln for ln in lines if not ln.structural and ln.number not in self.injected]

    def chunk(self, lines: Sequence[Line], subject: str | None) -> ActivitySignals:
        doc, seller = self.doc, self.x.seller
        text = prompts.render_activity(Document(doc.kind, list(lines), doc.people), subject=subject)
        usable = self.usable(lines)
        cap = self.x.config.settings.max_options
        out = ActivitySignals()

        def options(pattern: Any, *, buyer_only: bool = False, words: int = 3) -> list[int]:
            found = [
                ln.number
                for ln in usable
                if pattern.search(ln.text)
                and len(ln.text.split()) >= words
                and not (buyer_only and self.sides.get(ln.speaker or "") == "seller")
            ]
            return found[:cap]

        self.champion(text, options(rules.CHAMPION_CUES, buyer_only=True, words=5), out)
        self.economic_buyer(text, options(rules.BUDGET_CUES), out)
        found = slots.slot_options(usable, self.x.config.settings.max_options)
        line = (
            self.pick(prompts.next_meeting_question(seller, text, found), found) if found else None
        )
        line = slots.agreed_line(line, usable) if line is not None else None
        if line is not None:
            out.next_meeting_scheduled = True
            out.evidence.next_meeting_scheduled = line.text
        case = options(rules.BUSINESS_CASE_CUES)
        line = self.pick(prompts.business_case_question(seller, text, case), case) if case else None
        if line is not None and rules.SHARED.search(line.text):
            out.business_case_shared = True
            out.evidence.business_case_shared = line.text
        price = options(rules.PRICING_CUES)
        if price and (line := self.pick(prompts.pricing_question(seller, text, price), price)):
            out.pricing_discussed = True
            out.evidence.pricing_discussed = line.text
        self.competitors(usable, out)
        risks = rules.risk_lines((self.sides.get(ln.speaker or "") or "", ln.text) for ln in usable)
        out.risks = list(risks)
        out.evidence.risks = risks
        return out

    def champion(self, text: str, champ: list[int], out: ActivitySignals) -> None:
        """Ask, line by line, whether a buyer named by the line is selling us internally.

        Candidate lines are buyer lines with cue words, attributed to a person without the
        model (speaker or the person named); the model only answers a focused yes/no with
        the line quoted, which a small model answers far better than "which line?".
        """
        asked = 0
        for number in champ:
            line = self.doc.lines[number - 1]
            person = _as_person(subject_of(self.doc, line))
            if person is None or line.text.rstrip().endswith("?"):
                continue
            if asked >= self.x.config.settings.max_champion_checks:
                break
            asked += 1
            question = prompts.champion_check_question(self.x.seller, text, person.name, line.text)
            if self.yes(question):
                seniority = rules.seniority_of(person.title)
                out.champion = Champion(name=person.name, title=person.title, seniority=seniority)
                out.evidence.champion = line.text
                return

    def economic_buyer(self, text: str, budget: list[int], out: ActivitySignals) -> None:
        """Pick the line naming the budget owner, then read the name from it."""
        question = prompts.economic_buyer_question(self.x.seller, text, budget)
        line = self.pick(question, budget) if budget else None
        person = _as_person(budget_owner(self.doc, line)) if line is not None else None
        if line is not None and person is not None:
            out.economic_buyer = EconomicBuyer(name=person.name, title=person.title)
            out.evidence.economic_buyer = line.text

    def said(self, line: Line) -> str:
        """A line quoted with who said it, for questions asked without the activity."""
        side = self.sides.get(line.speaker or "")
        who = {"buyer": "The buyer", "seller": "The seller"}.get(side or "", "")
        if not who:
            who = "The buyer" if line.speaker else "A note"
        return f'{who} says: "{line.text[:300]}"'

    def competitors(self, usable: Sequence[Line], out: ActivitySignals) -> None:
        mentions = competitors.competitor_mentions(
            [(ln.number, ln.text) for ln in usable],
            known=self.x.config.competitors,
            sellers=self.x.config.sellers,
            people=[p.name for p in self.doc.people],
        )
        by_name: dict[str, list[competitors.Mention]] = {}
        for m in mentions:
            by_name.setdefault(m.name, []).append(m)
        for name, found in by_name.items():
            plain = [m for m in found if m.how == "plain"]
            if not plain:
                continue
            quotes = list(dict.fromkeys(self.said(self.doc.lines[m.line - 1]) for m in plain))
            if self.yes(prompts.competitor_question(self.x.seller, name, quotes)):
                out.competitors.append(name)
                out.evidence.competitors[name] = plain[0].text

    # --- whole activity ----------------------------------------------------------------
    def finish(self, signals: ActivitySignals, kind: str, *, ask: bool) -> None:
        """Engagement and stakeholders over the merged signals.

        Attendance is read from speaker labels, authors and attendee lines; only a prose
        note (no structure) is asked about it, and only when it fits one prompt (``ask``).
        """
        eb = signals.economic_buyer
        if eb is not None:
            person = self.doc.person(eb.name)
            engaged = person is not None and (
                person.spoke or (kind == "meeting" and person.attended)
            )
            prose = kind == "note" and not self.doc.transcript
            if ask and prose and not engaged and person is not None:
                text = prompts.render_activity(self.doc)
                engaged = self.yes(prompts.attended_question(self.x.seller, text, eb.name))
            signals.economic_buyer_engaged = engaged
            if engaged:
                signals.evidence.economic_buyer_engaged = signals.evidence.economic_buyer
        roles = {}
        if signals.champion:
            roles[signals.champion.name] = "champion"
        if eb is not None:
            roles[eb.name] = "economic_buyer"
        signals.stakeholders = [
            Stakeholder(name=p.name, title=p.title, role=roles.get(p.name, rules.role_of(p.title)))
            for p in self.doc.buyers()
            if len(p.name.split()) >= 2
        ]
        for name, role in roles.items():
            if not any(s.name == name for s in signals.stakeholders) and len(name.split()) >= 2:
                signals.stakeholders.append(Stakeholder(name=name, role=role))


def _as_person(who: Person | str | None) -> Person | None:
    return Person(name=who) if isinstance(who, str) else who
