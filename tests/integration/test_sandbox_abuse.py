"""The stand-in under abuse, over raw sockets on loopback: short bodies, half-sent and idle requests,
more connections than it has file descriptors, a slowloris of 20,000 connections, SIGTERM under it.

Timeouts here are the stand-in's options set short (1-2 s) and every wait in the test is several
times longer, so what is asserted is what the stand-in decides (a 400, a 408, a close, a 503), not
how fast the machine is.
"""

from __future__ import annotations

import resource
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest
import requests

from loadtest.sandbox import ServeLimits, sandbox_args
from loadtest.sandbox.process import ServerProcess, start_server
from loadtest.sandbox.server import FD_MARGIN
from tests.conftest import ROOT, child_environ
from tests.integration.conftest import API_KEY, KEY

pytestmark = pytest.mark.slow

SHORT = ServeLimits(request_timeout_s=1.0, idle_timeout_s=1.0)
WAIT_S = 10.0
"""How long a test waits for what the stand-in must do within 1 s."""
SIGN_IN = b"POST /api/accounts/sign-in/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Token: " + API_KEY.encode()


@contextmanager
def stand_in(limits: ServeLimits | None = SHORT, wrapper: tuple[str, ...] = ()):
    """The stand-in as a child process, kept as a process: its log and its exit are the test's to read."""
    server = start_server(
        "loadtest.sandbox", sandbox_args(limits=limits), wrapper=wrapper, env={"LOADTEST_API_KEY": API_KEY}
    )
    try:
        yield server
    finally:
        server.stop()


def address(server: ServerProcess) -> tuple[str, int]:
    parts = urlsplit(server.url)
    return parts.hostname, parts.port


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(address(server), timeout=WAIT_S)
    return sock


def answer(sock: socket.socket) -> bytes:
    """Everything the stand-in sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def status_of(server: ServerProcess) -> int:
    """One request on a new connection, as another client sends it while the stand-in is under attack."""
    response = requests.get(f"{server.url}/api/nope/", headers={**KEY, "Connection": "close"}, timeout=30)
    return response.status_code


def test_a_body_shorter_than_its_content_length_with_a_half_close_is_a_400():
    with stand_in() as server, connect(server) as sock:
        sock.sendall(SIGN_IN + b'\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user')
        sock.shutdown(socket.SHUT_WR)
        received = answer(sock)
        server.stop()

    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in received and b"ended before its Content-Length" in received
    assert "Traceback" not in server.logged and "error" not in server.logged.lower()


def test_a_request_with_2000_headers_is_a_400_with_one_log_line_and_the_stand_in_serves_on():
    """Issue 21: pywsgi printed a traceback for http.client's "got more than 100 headers"."""
    headers = b"".join(b"X-Header-%d: v\r\n" % n for n in range(2000))
    with stand_in() as server, connect(server) as sock:
        sock.sendall(b"GET /api/dashboard/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n")
        try:
            received = answer(sock)
        except ConnectionResetError:  # it closed with headers still unread: the kernel resets
            received = b"HTTP/1.1 400 Bad Request\r\n (reset before it was read)"
        after = status_of(server)
        server.stop()

    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n") and after == 404
    assert "Traceback" not in server.logged and server.logged.count("got more than 100 headers") == 1


@pytest.mark.parametrize(
    "sent",
    [b"GET /api/dashboard/ HTTP/1.1\r\nHost: 127.0.0.1\r\n", SIGN_IN + b"\r\nContent-Length: 100\r\n\r\n{"],
    ids=["half-sent-headers", "half-sent-body"],
)
def test_a_half_sent_request_is_answered_408_and_closed(sent):
    with stand_in() as server, connect(server) as sock:
        sock.sendall(sent)
        received = answer(sock)  # the stand-in closes it; without a timeout it never would
        server.stop()

    assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert "Traceback" not in server.logged


def test_a_request_dripped_a_byte_at_a_time_is_cut_at_the_request_timeout():
    """The deadline is for the whole request, not for each byte: a slow drip cannot hold a connection."""
    with stand_in() as server, connect(server) as sock:
        started = time.monotonic()
        closed = False
        for byte in b"GET /api/dashboard/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: " + b"x" * 40:
            try:
                sock.send(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.1)  # 4.6 s in all if never cut
        closed = closed or answer(sock).startswith(b"HTTP/1.1 408")

    assert closed and time.monotonic() - started < WAIT_S


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout():
    with stand_in() as server, connect(server) as sock:
        sock.sendall(
            b"GET /api/nope/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Token: " + API_KEY.encode() + b"\r\n\r\n"
        )
        received = answer(sock)  # returns once the stand-in closes the idle connection (else times out)

    assert received.startswith(b"HTTP/1.1 404 Not Found\r\n") and received.count(b"HTTP/1.1") == 1


def test_past_the_connection_cap_a_connection_gets_503_and_the_stand_in_recovers():
    limits = ServeLimits(request_timeout_s=30.0, idle_timeout_s=30.0, max_connections=5)
    with stand_in(limits) as server, ExitStack() as held:
        for _ in range(5):
            held.enter_context(connect(server)).sendall(b"GET /api/nope/ HTTP/1.1\r\n")
        time.sleep(0.5)  # let the stand-in accept all five before the sixth comes
        assert status_of(server) == 503
        held.close()
        status = first_answer_but_503(server)

    assert status == 404


def test_out_of_file_descriptors_the_stand_in_neither_logs_tracebacks_nor_stops_accepting():
    """A cap set above the descriptor limit (64 here, through prlimit): accept fails with EMFILE."""
    limits = ServeLimits(request_timeout_s=30.0, idle_timeout_s=30.0, max_connections=10_000)
    with stand_in(limits, wrapper=("prlimit", "--nofile=64:64")) as server, ExitStack() as held:
        for _ in range(100):
            held.enter_context(socket.create_connection(address(server), timeout=WAIT_S)).sendall(b"GET /")
        time.sleep(1.0)
        held.close()
        deadline = time.monotonic() + WAIT_S
        status = None
        while status is None and time.monotonic() < deadline:
            try:
                status = status_of(server)
            except requests.RequestException:
                time.sleep(0.2)
        server.stop()

    assert status == 404
    assert "Traceback" not in server.logged


ATTACK_HOLD_S = 10.0
PROBE_EVERY_S = 2.0
MIN_PROBES = 5
"""Probes during the hold, however long each takes on a busy machine (the loop makes at least these)."""
ATTACK_LIMITS = ServeLimits(request_timeout_s=600.0, idle_timeout_s=600.0)
"""Longer than the test could ever take: every connection is held, however slowly the machine opens
them (on a busy 2-core machine 20,000 took 30 s), so what is counted does not depend on speed."""


def attack_size() -> tuple[int, int]:
    """(connections, attackers). 20,000 here, where RLIMIT_NOFILE is 20,000 hard and soft: every
    attacker child and the stand-in raise their soft limit to the hard one, and 5,000 connections a
    child stay well under it. Elsewhere: as many as the hard limit lets the stand-in hold, plus the
    FD_MARGIN it keeps free and a few hundred past its cap, up to 20,000."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    count = min(20_000, hard + 500) if hard != resource.RLIM_INFINITY else 20_000
    per_attacker = max(min(5_000, (hard if hard != resource.RLIM_INFINITY else 5_100) - 100), 100)
    return count, -(-count // per_attacker)


class Slowloris:
    """``count`` half-open connections to a stand-in from ``attackers`` child processes, each from its
    own loopback address 127.0.0.<first_source + i> (where the stand-in is on 127.0.0.1)."""

    def __init__(self, server: ServerProcess, count: int, attackers: int, first_source: int = 10) -> None:
        host, port = address(server)
        share = str(-(-count // attackers))
        command = [sys.executable, "-m", "tests.integration.slowloris", host, str(port), share]
        sources = [[f"127.0.0.{first_source + i}"] if host == "127.0.0.1" else [] for i in range(attackers)]
        self.children = [
            subprocess.Popen(
                command + source,
                cwd=ROOT,
                env=child_environ(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for source in sources
        ]

    def held(self) -> int:
        """Once every connection is open: how many the stand-in holds unanswered."""
        return sum(int(child.stdout.readline().split()[1]) for child in self.children)

    def release(self) -> None:
        for child in self.children:
            if child.stdin and not child.stdin.closed:
                child.stdin.close()
        for child in self.children:
            child.wait(timeout=60)


def test_a_slowloris_of_20000_connections_leaves_the_stand_in_answering_and_sigterm_stops_it():
    """Two stand-ins, each under its own attack, opened at once: one held for 10 s while another
    client keeps asking, then released to show it recovers; the other stopped by SIGTERM with its
    attack still on (so the test takes one attack's time, not two)."""
    count, attackers = attack_size()
    with stand_in(ATTACK_LIMITS) as server, stand_in(ATTACK_LIMITS) as doomed, ExitStack() as cleanup:
        attack, second = Slowloris(server, count, attackers), Slowloris(doomed, count, attackers, 20)
        cleanup.callback(second.release)
        cleanup.callback(attack.release)
        held, held_by_doomed = attack.held(), second.held()
        until = time.monotonic() + ATTACK_HOLD_S
        during = []
        while time.monotonic() < until or len(during) < MIN_PROBES:
            during.append(status_of(server))  # an answer, 503 allowed: never a timeout or a refusal
            time.sleep(PROBE_EVERY_S)
        attack.release()
        after = first_answer_but_503(server)

        started = time.monotonic()
        doomed.proc.send_signal(signal.SIGTERM)
        code = doomed.proc.wait(timeout=WAIT_S)
        stopped_in = time.monotonic() - started
        second.release()
        server.stop()
        doomed.stop()

    print(
        f"\nslowloris: {count} connections from {attackers} children at each of two stand-ins; {held} open "
        f"and unanswered at the first, held {ATTACK_HOLD_S:.0f} s; answers during: {during}; after: {after}; "
        f"SIGTERM with {held_by_doomed} open stopped the second in {stopped_in:.2f} s"
    )
    cap = min(count, resource.getrlimit(resource.RLIMIT_NOFILE)[1] - FD_MARGIN)
    assert held >= 0.95 * cap and held_by_doomed >= 0.95 * cap
    assert len(during) >= MIN_PROBES and set(during) <= {404, 503}
    assert after == 404
    # Within WAIT_S, not the attack's 600 s request timeout: SIGTERM does not wait for the held
    # connections (measured 0.66 s; the bound is loose so that a busy machine cannot fail it).
    assert code == 0 and stopped_in < WAIT_S
    assert "Traceback" not in server.logged + doomed.logged


def first_answer_but_503(server: ServerProcess, within_s: float = 60.0) -> int:
    """Once an attack is released: the first answer that is not a 503 (the stand-in recovering)."""
    deadline = time.monotonic() + within_s
    while (status := status_of(server)) == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
    return status
