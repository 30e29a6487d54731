"""Running one import in one transaction: all good records commit together, or nothing does.

File-level failures, unexpected errors, ``strict`` mode with row errors, and imports in
which every record was bad all roll back, so a failed import never leaves half a file
in the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from memory.importers.report import ImportFailed, ImportReport

log = logging.getLogger(__name__)


def _rolled_back(report: ImportReport, fatal: str) -> ImportReport:
    report.fatal = fatal
    report.committed = False
    report.inserted.clear()
    report.duplicates.clear()
    return report


def run_import(
    engine: Engine,
    importer: Callable[[Session], ImportReport],
    *,
    source: str,
    org_id: str,
    strict: bool = False,
) -> ImportReport:
    """Run ``importer`` in one transaction and commit only what should be kept.

    Args:
        engine: Store engine.
        importer: Does the import in the given session and returns its report.
        source: Importer name, for the report of a run that failed before it had one.
        org_id: Org imported into, likewise.
        strict: Roll back everything if any record had an error.

    Returns:
        The report; ``fatal`` says why nothing was written, ``committed`` whether data was.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            report = importer(session)
        except ImportFailed as exc:
            session.rollback()
            failed = ImportReport(source=source, org_id=org_id, files=[exc.file])
            return _rolled_back(failed, f"{exc.file}: {exc.reason}; nothing was imported")
        except Exception as exc:  # any bug or database error must not leave half a file
            session.rollback()
            log.debug("import failed", exc_info=True)
            failed = ImportReport(source=source, org_id=org_id)
            return _rolled_back(
                failed,
                f"import failed and was rolled back, nothing was "
                f"imported: {type(exc).__name__}: {exc}",
            )
        if strict and report.errors:
            session.rollback()
            return _rolled_back(
                report, f"--strict: {len(report.errors)} row error(s); nothing was imported"
            )
        if report.exit_code == 2:
            session.rollback()
            return _rolled_back(
                report,
                f"every one of the {report.rows_read} record(s) had an error; nothing was imported",
            )
        try:
            session.commit()
        except Exception as exc:
            session.rollback()
            return _rolled_back(
                report, f"commit failed, nothing was imported: {type(exc).__name__}: {exc}"
            )
        report.committed = True
        return report
