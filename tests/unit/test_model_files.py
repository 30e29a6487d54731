"""Model assembly and verification on tiny fake part packages (never the real 1 GB model)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from agent import model_files
from agent.model_files import (
    DEFAULT_MODEL,
    SMALL_MODEL,
    MissingModelPartError,
    ModelIntegrityError,
    ModelSpec,
    NotAGGUFError,
    check_gguf,
    ensure_model,
    locate_parts,
    resolve_model,
)
from agent.settings import AgentSettings

PARTS = [b"GGUF" + b"\x01" * 1000, b"\x02" * 777, b"\x03" * 5]


def make_parts(root: Path, prefix: str, parts: list[bytes]) -> None:
    """Create importable part packages ``<prefix>N/data/partNN.bin`` under ``root``."""
    for index, data in enumerate(parts, start=1):
        package = root / f"{prefix}{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index:02d}.bin").write_bytes(data)


def spec_for(
    parts: list[bytes], *, sha256: str | None = None, size: int | None = None
) -> ModelSpec:
    whole = b"".join(parts)
    return ModelSpec(
        name="fake-model",
        filename="fake-model.gguf",
        package_prefix="keelfake-part",
        parts=len(parts),
        size=len(whole) if size is None else size,
        sha256=hashlib.sha256(whole).hexdigest() if sha256 is None else sha256,
        description="test",
    )


@pytest.fixture
def parts_root(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    make_parts(root, "keelfake_part", PARTS)
    return root


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.endswith(".tmp"))


def test_assembles_parts_in_order_and_stamps(parts_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    result = ensure_model(spec_for(PARTS), cache, search_path=[parts_root])

    assert result.source == "assembled"
    assert result.path == (cache / "fake-model.gguf").resolve()
    assert result.path.read_bytes() == b"".join(PARTS)
    assert result.sha256 == hashlib.sha256(b"".join(PARTS)).hexdigest()
    assert (cache / "fake-model.gguf.verified.json").is_file()
    assert leftovers(cache) == []


def test_second_call_is_a_cache_hit_without_reading(
    parts_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS)
    ensure_model(spec, cache, search_path=[parts_root])

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("cache hit must not hash or look for parts")

    monkeypatch.setattr(model_files, "sha256_file", fail)
    monkeypatch.setattr(model_files, "locate_parts", fail)
    again = ensure_model(spec, cache, search_path=[parts_root])
    assert again.source == "cache"
    assert again.sha256 == spec.sha256


def test_full_verify_rehashes_a_stamped_file(
    parts_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS)
    ensure_model(spec, cache, search_path=[parts_root])
    hashed: list[Path] = []
    real = model_files.sha256_file

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(model_files, "sha256_file", counting)
    result = ensure_model(spec, cache, search_path=[], full_verify=True)
    assert result.source == "verified"
    assert hashed == [cache / spec.filename]


def test_hash_mismatch_is_refused_and_leaves_nothing(parts_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS, sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="refusing") as info:
        ensure_model(spec, cache, search_path=[parts_root])
    assert "0" * 64 in str(info.value)
    assert "keelfake-part1" in str(info.value)  # the fix names the packages to reinstall
    assert not (cache / spec.filename).exists()
    assert leftovers(cache) == []


def test_parts_of_the_wrong_total_size_are_refused_before_writing(
    parts_root: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS, size=sum(map(len, PARTS)) + 1)
    with pytest.raises(ModelIntegrityError, match="add up to 1,786 bytes, expected 1,787"):
        ensure_model(spec, cache, search_path=[parts_root])
    assert not (cache / spec.filename).exists()


def test_missing_parts_are_named_with_the_pip_fix(tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_parts(root, "keelfake_part", PARTS)
    (root / "keelfake_part2" / "data" / "part02.bin").unlink()
    with pytest.raises(MissingModelPartError) as info:
        locate_parts(spec_for(PARTS), [root])
    message = str(info.value)
    assert "1 of 3" in message
    assert "keelfake-part2 (data/part02.bin)" in message
    assert f"{sys.executable} -m pip install keelfake-part2" in message
    assert "keelfake-part1 " not in message


def test_corrupted_cache_is_rebuilt_from_parts(parts_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS)
    target = ensure_model(spec, cache, search_path=[parts_root]).path
    data = bytearray(target.read_bytes())
    data[10] ^= 0xFF
    target.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer matches

    result = ensure_model(spec, cache, search_path=[parts_root])
    assert result.source == "assembled"
    assert target.read_bytes() == b"".join(PARTS)


def test_corrupted_cache_without_parts_is_refused(parts_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS)
    target = ensure_model(spec, cache, search_path=[parts_root]).path
    target.write_bytes(b"x" * spec.size)
    with pytest.raises(MissingModelPartError):
        ensure_model(spec, cache, search_path=[tmp_path / "empty"])


def test_valid_file_without_stamp_is_verified_once(parts_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS)
    ensure_model(spec, cache, search_path=[parts_root])
    (cache / "fake-model.gguf.verified.json").unlink()

    assert ensure_model(spec, cache, search_path=[]).source == "verified"
    assert ensure_model(spec, cache, search_path=[]).source == "cache"


def test_touched_file_is_rehashed_not_trusted(parts_root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    spec = spec_for(PARTS)
    target = ensure_model(spec, cache, search_path=[parts_root]).path
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert ensure_model(spec, cache, search_path=[]).source == "verified"


def test_user_gguf_path_is_checked(tmp_path: Path) -> None:
    good = tmp_path / "m.gguf"
    good.write_bytes(b"GGUF\x03\x00")
    bad = tmp_path / "m.bin"
    bad.write_bytes(b"PK\x03\x04")

    assert check_gguf(good).source == "user"
    with pytest.raises(NotAGGUFError, match="not a GGUF"):
        check_gguf(bad)
    with pytest.raises(NotAGGUFError, match="is not a file"):
        check_gguf(tmp_path / "missing.gguf")


def test_resolve_model_uses_a_user_path_as_is(tmp_path: Path) -> None:
    good = tmp_path / "m.gguf"
    good.write_bytes(b"GGUF\x03\x00")
    settings = AgentSettings(llm_model=str(good), home=tmp_path)
    assert resolve_model(settings).path == good.resolve()


@pytest.mark.parametrize(
    ("llm_model", "package"),
    [(None, DEFAULT_MODEL.package(1)), (SMALL_MODEL.name, SMALL_MODEL.package(1))],
)
def test_resolve_model_picks_registered_models(
    tmp_path: Path, llm_model: str | None, package: str
) -> None:
    settings = AgentSettings(llm_model=llm_model, home=tmp_path)
    with pytest.raises(MissingModelPartError, match=package):
        resolve_model(settings, search_path=[tmp_path / "nowhere"])
