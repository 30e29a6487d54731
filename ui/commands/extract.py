"""``keel extract FILE``: signals of one call transcript, email or note, with evidence."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agent.chat_models import ChatModelFactory
from agent.extraction.chunking import ExtractionInputError, check_size
from agent.extraction.config import ExtractionConfig
from agent.extraction.extract import Extractor
from agent.extraction.inputs import read_activity
from agent.extraction.schema import ExtractionResult
from agent.extraction.settings import ExtractionSettings
from agent.extraction.store import org_facts
from agent.llm_errors import LLMError
from agent.model_files import ModelFileError
from agent.settings import AgentSettings
from memory.db import session_scope
from memory.models import Org
from memory.settings import MemorySettings
from ui.cliutil import emit, fail, open_store, stderr


def _read(file: str, settings: ExtractionSettings) -> tuple[bytes, str]:
    """Read the file (``-`` = stdin), refusing oversized input before loading all of it."""
    limit = settings.max_chars * 4  # a character is at most 4 UTF-8 bytes
    if file == "-":
        data = sys.stdin.buffer.read(limit + 1)
        return data, "stdin"
    path = Path(file)
    if not path.is_file():
        fail(f"{file}: no such file" if not path.exists() else f"{file}: not a regular file")
    if path.suffix.lower() not in (".txt", ".eml", ""):
        stderr.print(f"warning: {path.name}: not .txt or .eml; read as text", highlight=False)
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return data, path.name


def _org_facts(org: str | None) -> dict[str, list[str]]:
    """Facts of ``org`` (or the only org) when a store exists; nothing otherwise."""
    memory = MemorySettings()
    url = memory.resolved_database_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}
    engine = open_store(memory)
    try:
        with session_scope(engine) as session:
            ids = [o.id for o in session.query(Org).all()]
            org_id = org or (ids[0] if len(ids) == 1 else None)
            if org_id is None or org_id not in ids:
                if org:
                    fail(f"no org {org!r} in the store; known: {sorted(ids)}")
                return {}
            return org_facts(session, org_id)
    finally:
        engine.dispose()


def _render(result: ExtractionResult) -> None:
    s = result.signals
    ev = s.evidence
    table = Table("signal", "value", "evidence", title="extracted signals", show_lines=True)

    def row(name: str, value: Any, quote: str | None) -> None:
        table.add_row(name, str(value), quote or "")

    champ = s.champion
    row(
        "champion",
        f"{champ.name} ({champ.title}, {champ.seniority})" if champ else "-",
        ev.champion,
    )
    eb = s.economic_buyer
    row("economic_buyer", f"{eb.name} ({eb.title})" if eb else "-", ev.economic_buyer)
    row("economic_buyer_engaged", s.economic_buyer_engaged, ev.economic_buyer_engaged)
    row("competitors", ", ".join(s.competitors) or "-", "\n".join(ev.competitors.values()))
    row("next_meeting_scheduled", s.next_meeting_scheduled, ev.next_meeting_scheduled)
    row("business_case_shared", s.business_case_shared, ev.business_case_shared)
    row("pricing_discussed", s.pricing_discussed, ev.pricing_discussed)
    people = "; ".join(f"{p.name} ({p.title or '?'}, {p.role})" for p in s.stakeholders)
    row("stakeholders", people or "-", None)
    row("risks", ", ".join(s.risks) or "-", "\n".join(ev.risks.values()))
    console = Console()
    console.print(table)
    console.print(
        f"{result.llm_calls} LLM calls, {result.seconds:.1f} s, {result.chunks} chunk(s); "
        f"extractor {result.extractor}",
        highlight=False,
    )


def extract(
    file: Annotated[str, typer.Argument(help="A .txt or .eml activity; '-' reads stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    org: Annotated[
        str | None, typer.Option("--org", help="Org whose facts (name, competitors) to use.")
    ] = None,
    seller: Annotated[
        list[str] | None, typer.Option("--seller", help="Our company/product name (repeatable).")
    ] = None,
    competitor: Annotated[
        list[str] | None, typer.Option("--competitor", help="A known competitor (repeatable).")
    ] = None,
) -> None:
    """Extract deal signals (champion, economic buyer, competitors, ...) from one activity."""
    settings = ExtractionSettings()
    data, name = _read(file, settings)
    try:
        read = read_activity(
            data, name, seller_domains=settings.seller_domains, max_bytes=settings.max_chars * 4
        )
    except ExtractionInputError as exc:
        fail(str(exc))
    try:
        check_size(read.activity.body, settings.max_chars)
    except ExtractionInputError as exc:
        fail(f"{name}: {exc}")
    for warning in read.warnings:
        stderr.print(f"warning: {warning}", highlight=False)
    facts = _org_facts(org)
    facts["sellers"] = [*(seller or []), *facts.get("sellers", [])]
    facts["competitors"] = [*(competitor or []), *facts.get("competitors", [])]
    factory = ChatModelFactory(AgentSettings())
    try:
        extractor = Extractor(
            factory.chat_model(), ExtractionConfig.from_settings(settings, **facts)
        )
        result = extractor.extract(read.activity)
    except ExtractionInputError as exc:
        fail(f"{name}: {exc}")
    except (LLMError, ModelFileError) as exc:
        fail(f"the language model failed: {exc}", code=1)
    finally:
        factory.close()
    result.warnings = [*read.warnings, *result.warnings]
    for warning in result.warnings[len(read.warnings) :]:
        stderr.print(f"warning: {warning}", highlight=False)
    emit(result.document(), as_json=as_json, render=lambda _: _render(result))


def register(app: typer.Typer) -> None:
    """Add ``keel extract`` to the CLI."""
    app.command("extract")(extract)
