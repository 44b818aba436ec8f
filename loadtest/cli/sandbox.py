"""``loadtest sandbox``: the stand-in API, the same command as ``python -m loadtest.sandbox``."""

from loadtest.sandbox.__main__ import main

__all__ = ["main"]
