"""Importing activities (calls, emails, meetings, notes) from a folder, a file or JSONL.

A folder may hold ``.txt`` notes/transcripts and ``.eml`` emails; a ``.jsonl`` file holds
one activity per line. Every activity is linked to a deal by the deal's CRM source id
(an unknown deal is a row error). ``occurred_at`` is when it happened; ``recorded_at``
is the import time. The source id is the email's Message-ID or the JSONL ``id``, else a
hash of the activity's content (never its path), so re-importing writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from memory.ids import content_hash, make_id
from memory.importers.activity_files import (
    ActivityDraft,
    Defaults,
    read_eml,
    read_jsonl_line,
    read_txt,
)
from memory.importers.context import ImportContext, known_deals, open_context
from memory.importers.csv_mapped import Progress
from memory.importers.emails import Sides
from memory.importers.readers import read_text
from memory.importers.report import ImportFailed, ImportReport
from memory.ingest import ingest

SUFFIXES = (".txt", ".eml", ".jsonl")
FREE_MAIL = {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com"}


def _sides(ctx: ImportContext, seller_domains: Iterable[str]) -> Sides:
    domains = {d.strip().lstrip("@").casefold() for d in seller_domains if d.strip()}
    domains |= {e.rsplit("@", 1)[-1] for e in ctx.seller_emails if "@" in e} - FREE_MAIL
    return Sides(domains=domains, emails=set(ctx.seller_emails), names=set(ctx.seller_names))


def _input_files(path: Path) -> tuple[list[Path], list[Path]]:
    """Files to read and files skipped; raises ImportFailed for a bad path."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        return [p for p in files if p.suffix.lower() in SUFFIXES], [
            p for p in files if p.suffix.lower() not in SUFFIXES
        ]
    if not path.exists():
        raise ImportFailed(path, "not found")
    if path.suffix.lower() not in SUFFIXES:
        raise ImportFailed(path, "expected a folder, or a .txt, .eml or .jsonl file")
    return [path], []


def _read_file(
    path: Path, defaults: Defaults, sides: Sides, report: ImportReport
) -> list[ActivityDraft]:
    """Drafts from one file; its problems become row errors (ImportFailed if unreadable)."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        decoded = read_text(path)
        if decoded.warning:
            report.warn(path, None, decoded.warning)
        drafts: list[ActivityDraft] = []
        for line_no, line in enumerate(decoded.text.split("\n"), start=1):
            if not line.strip():
                continue
            report.rows_read += 1
            result = read_jsonl_line(path, line_no, line.strip(), defaults, sides)
            if isinstance(result, ActivityDraft):
                drafts.append(result)
            else:
                report.rows_rejected += 1
                for reason in result:
                    report.error(path, line_no, reason)
        return drafts
    report.rows_read += 1
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(path, f"cannot read file: {exc.strerror or exc}") from exc
    reader = read_eml if suffix == ".eml" else read_txt
    parsed = reader(path, data, defaults, sides)
    if isinstance(parsed, ActivityDraft):
        return [parsed]
    report.rows_rejected += 1
    for reason in parsed:
        report.error(path, None, reason)
    return []


def _record(
    ctx: ImportContext, draft: ActivityDraft, deal_id: str, account_id: str
) -> dict[str, Any]:
    source_id = (
        draft.source_id
        or "activity:"
        + content_hash(
            ctx.org_id,
            draft.deal,
            draft.kind,
            draft.occurred_at.isoformat(),
            draft.subject,
            draft.body,
        )[:32]
    )
    return {
        "id": make_id("activity", ctx.org_id, source_id),
        "org_id": ctx.org_id,
        "deal_id": deal_id,
        "account_id": account_id,
        "kind": draft.kind,
        "subject": draft.subject,
        "body": draft.body,
        "participants": draft.participants,
        "direction": draft.direction,
        "occurred_at": draft.occurred_at,
        "recorded_at": ctx.now,
        "source": draft.source,
        "source_id": source_id,
        "content_hash": content_hash(draft.subject, draft.body),
    }


def import_activities(
    session: Session,
    path: Path,
    *,
    org_id: str,
    seller_domains: Iterable[str] = (),
    defaults: Defaults | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import activities from a folder (``.txt``/``.eml``), a single file or a JSONL file.

    Args:
        session: Open session; the caller commits or rolls back (see ``run_import``).
        path: Folder or file.
        org_id: Org to import into (created if missing); the deals must exist there.
        seller_domains: Email domains of the seller; the org's users' domains are added.
        defaults: Deal, time and kind for files that do not say.
        now: Ingestion time (``recorded_at``); defaults to the current time.
        progress: Optional progress callback (files done, files total).

    Raises:
        ImportFailed: the path is missing or of the wrong kind, or a single given file is
            unreadable; inside a folder an unreadable file is a row error instead.
    """
    defaults = defaults or Defaults()
    report = ImportReport(source="activities", org_id=org_id, files=[path.name])
    ctx, created = open_context(session, org_id, now=now)
    report.inserted.update(created.inserted)
    files, skipped = _input_files(path)
    if not files:
        raise ImportFailed(path, "folder holds no .txt, .eml or .jsonl files")
    for other in skipped:
        report.warn(other, None, "skipped: not a .txt, .eml or .jsonl file")
    sides = _sides(ctx, seller_domains)
    if not sides.known:
        report.warn(
            path,
            None,
            "no seller domain known (give --seller-domain): participant "
            "sides and email direction are left unknown",
        )
    drafts: list[ActivityDraft] = []
    for done, file in enumerate(files, start=1):
        try:
            drafts += _read_file(file, defaults, sides, report)
        except ImportFailed as exc:
            if not path.is_dir():
                raise
            report.rows_rejected += 1
            report.error(file, None, exc.reason)
        if progress:
            progress(done, len(files))
    deals = known_deals(session, org_id, (d.deal for d in drafts))
    records = []
    for draft in drafts:
        for warning in draft.warnings:
            report.warn(draft.file, draft.line, warning)
        deal = deals.get(draft.deal)
        if deal is None:
            report.rows_rejected += 1
            report.error(
                draft.file,
                draft.line,
                f"deal {draft.deal!r} is not in org {org_id!r} (import the deals first)",
            )
            continue
        records.append(_record(ctx, draft, deal.deal_id, deal.account_id))
    report.add_ingest(ingest(session, activities=records))
    return report
