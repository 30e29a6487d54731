from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from memory.importers.readers import decode_bytes, read_csv, sniff_delimiter
from memory.importers.report import ImportFailed


def _write(tmp_path: Path, data: bytes | str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_line_numbers_are_physical_lines_with_multiline_quoted_fields(tmp_path: Path) -> None:
    text = 'id,notes\nA,"first\nsecond\nthird"\n\nB,plain\nC,"x ""quoted"""\n'
    table = read_csv(_write(tmp_path, text))
    assert [(r.line, r.values["id"]) for r in table.records] == [(2, "A"), (6, "B"), (7, "C")]
    assert table.records[0].values["notes"] == "first\nsecond\nthird"
    assert table.records[2].values["notes"] == 'x "quoted"'


def test_crlf_line_endings_keep_line_numbers(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, 'id,n\r\nA,"a\r\nb"\r\nB,c\r\n'))
    assert [(r.line, r.values["id"]) for r in table.records] == [(2, "A"), (4, "B")]


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, codecs.BOM_UTF8 + "id,name\n1,Zoë\n".encode()))
    assert table.header == ["id", "name"]
    assert table.records[0].values["name"] == "Zoë"
    assert table.warnings == []


def test_cp1252_falls_back_with_a_warning_naming_the_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,name,amount\n1,Société Générale,€ 1.200\n".encode("cp1252"))
    table = read_csv(path)
    assert table.records[0].values["name"] == "Société Générale"
    assert table.records[0].values["amount"] == "€ 1.200"
    assert len(table.warnings) == 1
    assert "cp1252" in table.warnings[0] and "line 2" in table.warnings[0]


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "id\tname\n1\tÅsa\n".encode("utf-16")))
    assert table.records[0].values == {"id": "1", "name": "Åsa"}


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
    ],
)
def test_file_level_problems(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(ImportFailed, match=reason) as info:
        read_csv(_write(tmp_path, data))
    assert info.value.file == "f.csv"


def test_missing_file_is_reported_not_raised_as_oserror(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="not found"):
        read_csv(tmp_path / "missing.csv")


def test_unterminated_quote_at_eof_keeps_earlier_rows(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, 'id,notes\nA,ok\nB,"never closed\nmore text'))
    assert [r.values["id"] for r in table.records] == ["A"]
    assert len(table.problems) == 1
    line, reason = table.problems[0]
    assert line == 3 and "truncated" in reason


def test_short_last_row_is_reported_as_truncated(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "id,stage,amount\nA,x,1\nB,y"))
    assert [r.values["id"] for r in table.records] == ["A"]
    assert table.problems == [(3, "row has 2 of 3 columns: the file looks truncated")]


def test_rows_with_wrong_column_counts_are_problems_others_kept(tmp_path: Path) -> None:
    table = read_csv(_write(tmp_path, "id,stage\nA,x\nB\nC,y,extra\nD,z\n"))
    assert [r.values["id"] for r in table.records] == ["A", "D"]
    assert [line for line, _ in table.problems] == [3, 4]


def test_semicolon_delimiter_is_sniffed(tmp_path: Path) -> None:
    assert sniff_delimiter("id;name;amount") == ";"
    assert sniff_delimiter("id,name;x,y") == ","
    table = read_csv(_write(tmp_path, "id;amount\nA;1.234,50\n"))
    assert table.records[0].values == {"id": "A", "amount": "1.234,50"}


def test_decode_invalid_utf8_everywhere_still_decodes() -> None:
    decoded = decode_bytes(b"id\n\x81\x8d\x90\n", "x.csv")
    assert decoded.encoding == "latin-1"
    assert decoded.warning is not None
