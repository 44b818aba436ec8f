"""The gate's one exception for input it cannot use."""

from __future__ import annotations


class GateInputError(Exception):
    """Unusable input: the message is one line naming the file, the line or field, and what is wrong."""
