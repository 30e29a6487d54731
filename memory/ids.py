"""Deterministic identifiers and content hashes.

Ids derive from ``(org, kind, source id)`` so re-importing a record yields the same id
and the insert is a no-op; two orgs importing the same CRM id never collide.
"""

from __future__ import annotations

import hashlib


def make_id(kind: str, org_id: str, source_id: str) -> str:
    """Return a stable id such as ``deal_1f3a...`` for a source record of one org."""
    digest = hashlib.blake2b(f"{org_id}\x1f{kind}\x1f{source_id}".encode(), digest_size=8)
    return f"{kind}_{digest.hexdigest()}"


def content_hash(*parts: str | None) -> str:
    """SHA-256 over the parts (``None`` as empty), used to cache work on unchanged text."""
    h = hashlib.sha256()
    for part in parts:
        h.update((part or "").encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()
