"""A base against a head in one Locust run: which side each of a user's tasks goes to.

Both sides get the same users, the same preset and the same fake-data seed, in the same minutes, so
that anything slow about the machine at any moment hits both alike. Two designs
(``--ab-design``; docs/gate.md says which was chosen and why):

* ``paired``: every task is sent to both sides, in a random order per task; the requests are named
  apart (``GET /api/dashboard/ [head]``, bundle.side_row), so each side has its own histogram;
* ``blocks``: the run is cut into blocks of ``--ab-block-s`` seconds, in the order base, head, head,
  base, ... (ABBA, which cancels a linear drift); every task of a block goes to its side, and each
  block's rows are named apart (``[base#0]``, ``[head#1]``...), for the analysis to pair them.

Both servers are up the whole time; each side has its own session and tokens (the user signs in on
both). The head is Locust's ``--host``, the base ``--base-host``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from loadtest.bundle import SIDES, side_row

DESIGNS = ("paired", "blocks")
DEFAULT_BLOCK_S = 15.0
"""Blocks of 10-15 s: long against a request, short against a slow phase of the runner."""


def block_side(block: int) -> str:
    """The side of ``block`` in the order base, head, head, base, base, head, head, base, ..."""
    return "base" if block % 4 in (0, 3) else "head"


class SideClient:
    """A Locust HTTP client whose requests are named apart for one side (and block)."""

    def __init__(self, client: Any, side: str) -> None:
        self.client = client
        self.side = side
        self.block: int | None = None

    def request(self, method: str, url: str, *, name: str | None = None, **kwargs: Any) -> Any:
        return self.client.request(method, url, name=side_row(name or url, self.side, self.block), **kwargs)


class SideChooser:
    """Which side (or sides, in which order) one user's next task goes to."""

    def __init__(self, design: str, rng: random.Random, *, block_s: float = DEFAULT_BLOCK_S) -> None:
        if design not in DESIGNS:
            raise ValueError(f"unknown design {design!r}; choose one of: {', '.join(DESIGNS)}")
        self.design = design
        self.rng = rng
        self.block_s = block_s

    def sides_for_task(self, started: float, now: float | None = None) -> tuple[list[str], int | None]:
        """The sides of the next task, in order, and its block (None for the paired design)."""
        if self.design == "paired":
            order = list(SIDES)
            self.rng.shuffle(order)
            return order, None
        elapsed = (time.monotonic() if now is None else now) - started
        block = max(0, int(elapsed // self.block_s))
        return [block_side(block)], block
