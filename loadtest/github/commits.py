"""A full commit id, defined once: what GitHub's events and this repository's artifacts carry, checked
before it reaches git or a comment (standard library only: ``loadtest plan`` reads it)."""

from __future__ import annotations

import re

FULL_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
"""Lower-case hex, SHA-1 (40) or SHA-256 (64): never a branch, a tag or an abbreviation that git would
resolve to something else."""


def is_full_commit(text: str) -> bool:
    return FULL_COMMIT.fullmatch(text) is not None
