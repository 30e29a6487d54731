from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "evals" / "data" / "import_examples"


@pytest.fixture
def examples() -> Path:
    """The example import files shipped in evals/data/import_examples."""
    return EXAMPLES
