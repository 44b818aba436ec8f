"""A free port on loopback, for the processes a run starts (an API, a local Locust master)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A free TCP port on loopback (the OS picks it; a race with another bind is possible but rare)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
