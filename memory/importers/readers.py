"""Reading import files safely: encoding detection, binary detection, CSV with line numbers.

Text is decoded as UTF-8 (a BOM is dropped); UTF-16 with a BOM is accepted; anything
else falls back to cp1252, then latin-1, with a warning naming the file. CSV records
carry the physical line they start on, which stays right when quoted fields span lines.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from memory.importers.report import ImportFailed

_SNIFF_BYTES = 65536
_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class DecodedText:
    """A file's text and how it was decoded."""

    text: str
    encoding: str
    warning: str | None = None


@dataclass(frozen=True)
class CsvRecord:
    """One data record: the physical line it starts on and its values by header."""

    line: int
    values: dict[str, str]


@dataclass
class CsvTable:
    """A parsed CSV file: header, good records, and records that could not be read."""

    path: Path
    header: list[str]
    records: list[CsvRecord] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _looks_binary(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "is a ZIP/Excel file, not text: export it as CSV"
    if head.startswith(b"%PDF"):
        return "is a PDF file, not text"
    if b"\x00" in head:
        return "looks binary (contains NUL bytes), not a text file"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.1:
        return "looks binary (many control bytes), not a text file"
    return None


def ensure_text(data: bytes, name: str) -> None:
    """Check that content is non-empty text (UTF-16 with a BOM counts as text).

    Raises:
        ImportFailed: the content is empty or binary.
    """
    if not data.strip():
        raise ImportFailed(name, "file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    problem = _looks_binary(data[:_SNIFF_BYTES])
    if problem:
        raise ImportFailed(name, problem)


def decode_bytes(data: bytes, name: str) -> DecodedText:
    """Decode file content, trying UTF-8 first and falling back with a warning.

    Raises:
        ImportFailed: the content is empty or binary.
    """
    ensure_text(data, name)
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(encoding), "utf-16")
            except UnicodeDecodeError as exc:
                raise ImportFailed(name, f"invalid UTF-16 text at byte {exc.start}") from exc
    try:
        return DecodedText(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f"byte {exc.start} (line {line}) is not valid UTF-8"
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return DecodedText(text, encoding, f"{where}; decoded the file as {encoding} instead")
    raise ImportFailed(name, f"{where} and no fallback encoding fits")  # pragma: no cover


def read_text(path: Path) -> DecodedText:
    """Read and decode a text file.

    Raises:
        ImportFailed: the file is missing, unreadable, empty or binary.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ImportFailed(path, "file not found") from exc
    except IsADirectoryError as exc:
        raise ImportFailed(path, "is a directory, expected a file") from exc
    except OSError as exc:
        raise ImportFailed(path, f"cannot read file: {exc.strerror or exc}") from exc
    return decode_bytes(data, path.name)


def sniff_delimiter(header_line: str) -> str:
    """Pick the likeliest delimiter from the header line (comma unless another dominates)."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """Yield ``(start line, values)`` or ``(start line, error message)`` per CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "unexpected end of data" in message:
                yield (
                    start,
                    (
                        f"quoted field opened on line {start} is never closed before the end "
                        "of the file: the file looks truncated (or has a stray quote)"
                    ),
                )
                return
            yield start, f"malformed CSV: {message}"
            if reader.line_num < start:  # pragma: no cover - defensive against no progress
                return
            continue
        if row and any(v.strip() for v in row):
            yield start, row


def read_csv(path: Path, *, delimiter: str | None = None) -> CsvTable:
    """Read a CSV file into records keyed by header name, keeping physical line numbers.

    Rows with fewer values than the header are problems (the last one is reported as a
    truncated file); so are rows with more values. Good rows are kept either way.

    Raises:
        ImportFailed: unreadable, empty or binary file, or no header.
    """
    decoded = read_text(path)
    text = decoded.text
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delim = delimiter or sniff_delimiter(first_line)
    items = list(_records(text, delim))
    if not items or isinstance(items[0][1], str):
        raise ImportFailed(path, "no readable header row")
    header = [h.strip() for h in items[0][1]]
    table = CsvTable(path=path, header=header)
    if decoded.warning:
        table.warnings.append(decoded.warning)
    seen: set[str] = set()
    for name in header:
        if name in seen:
            table.warnings.append(f"header repeats column {name!r}; its first occurrence is used")
        seen.add(name)
    last = len(items) - 1
    ends_cleanly = text.endswith(("\n", "\r"))
    for index, (line, values) in enumerate(items[1:], start=1):
        if isinstance(values, str):
            table.problems.append((line, values))
            continue
        if len(values) < len(header):
            reason = f"row has {len(values)} of {len(header)} columns"
            if index == last and not ends_cleanly:
                reason += ": the file looks truncated"
            table.problems.append((line, reason))
            continue
        if len(values) > len(header) and any(v.strip() for v in values[len(header) :]):
            table.problems.append(
                (line, f"row has {len(values)} values but the header has {len(header)} columns")
            )
            continue
        record: dict[str, str] = {}
        for name, value in zip(header, values, strict=False):
            record.setdefault(name, value.strip())
        table.records.append(CsvRecord(line=line, values=record))
    return table
