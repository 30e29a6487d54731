"""What an import did: counts, row errors and warnings, and the process exit code.

Every problem names the file and (when it has one) the physical line, so a user can
open the file at that line and see what is wrong.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memory.ingest import IngestReport


@dataclass(frozen=True)
class RowError:
    """One problem in one input record (or one file-level warning when ``line`` is None)."""

    file: str
    line: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"file": self.file, "line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """A file-level problem that stops the whole import (nothing is written)."""

    def __init__(self, file: str | Path, reason: str) -> None:
        super().__init__(f"{Path(file).name}: {reason}")
        self.file = Path(file).name
        self.reason = reason


@dataclass
class ImportReport:
    """Summary of one import run.

    Attributes:
        source: Importer name (``csv``, ``salesforce``, ``hubspot``, ``activities``).
        org_id: Org the records were written to.
        files: Input files read.
        rows_read: Data records read (CSV rows, history rows, activity files or lines).
        rows_rejected: Records that had at least one error and were not imported.
        unchanged: Snapshot field values skipped because the store already knew them.
        inserted: New records written, per kind.
        duplicates: Records already stored (same source id), per kind.
        errors: Row errors; the rows they name were not imported.
        warnings: Problems that did not stop a row (encoding fallback, guessed dates...).
        fatal: Why nothing was imported, if so.
        committed: True once the transaction with the new records committed.
    """

    source: str
    org_id: str
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_rejected: int = 0
    unchanged: int = 0
    inserted: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    fatal: str | None = None
    committed: bool = False

    def error(self, file: str | Path, line: int | None, reason: str) -> None:
        """Record a row error."""
        self.errors.append(RowError(Path(file).name, line, reason))

    def warn(self, file: str | Path, line: int | None, reason: str) -> None:
        """Record a warning."""
        self.warnings.append(RowError(Path(file).name, line, reason))

    def add_ingest(self, result: IngestReport) -> None:
        """Add the counts of one ``memory.ingest.ingest`` call."""
        self.inserted.update(result.inserted)
        self.duplicates.update(result.duplicates)

    @property
    def exit_code(self) -> int:
        """0 when every record was good, 1 when some were rejected, 2 when nothing was imported."""
        if self.fatal is not None:
            return 2
        if self.rows_read and self.rows_rejected >= self.rows_read:
            return 2
        return 1 if self.errors else 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary including every error and warning."""
        return {
            "source": self.source,
            "org_id": self.org_id,
            "files": self.files,
            "ok": self.exit_code == 0,
            "committed": self.committed,
            "fatal": self.fatal,
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "unchanged": self.unchanged,
            "inserted": {k: v for k, v in sorted(self.inserted.items()) if v},
            "duplicates": {k: v for k, v in sorted(self.duplicates.items()) if v},
            "error_count": len(self.errors),
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }
