"""How the sandbox (and the benchmark's hello-world) is served: gevent's pywsgi with TCP_NODELAY, made
safe to leave on a port that anything may connect to.

- **A request must arrive in time**: its line, headers and body within ``request_timeout_s``
  (default 30 s) of its first byte, and a response must be taken within as long; an idle keep-alive
  connection is closed after ``idle_timeout_s`` (default 75 s: longer than any preset's wait between
  a user's tasks, so Locust's users keep their connections). A half-sent request is answered 408
  and closed, never held forever.
- **A connection cap below the file-descriptor limit** (``max_connections``, by default the soft
  RLIMIT_NOFILE, first raised to the hard limit, less FD_MARGIN): a connection past it is answered
  503 and closed at once, so ``accept`` never fails for want of descriptors, and the server serves
  again as soon as connections close.
- **SIGTERM stops it within STOP_GRACE_S** (1 s) under any load: the listener closes, requests being
  answered get the grace to finish, and connections that are idle or still sending are not waited for.
"""

from __future__ import annotations

import errno
import http.client
import io
import math
import os
import resource
import signal
import socket
import sys
import time
from dataclasses import dataclass

import gevent
import gevent.event
from gevent.pywsgi import WSGIHandler, WSGIServer

REQUEST_TIMEOUT_S = 30.0
"""From a request's first byte to its last (line, headers, body); also how long a response may take."""
IDLE_TIMEOUT_S = 75.0
"""A keep-alive connection without a new request for this long is closed."""
FD_MARGIN = 256
"""Descriptors kept free under the limit: the listener, logs, and the connections being refused
(gevent accepts up to 100 at a time before any is answered)."""
STOP_GRACE_S = 1.0
"""How long requests being answered may finish after SIGINT/SIGTERM."""

_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 59\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\n"
    b'{"detail": "Too many open connections: try again shortly."}'
)
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_OUT_OF_DESCRIPTORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


@dataclass(frozen=True, kw_only=True)
class ServeLimits:
    """The server's limits; tests pass short ones."""

    request_timeout_s: float = REQUEST_TIMEOUT_S
    idle_timeout_s: float = IDLE_TIMEOUT_S
    max_connections: int | None = None
    """None: the file-descriptor limit less FD_MARGIN."""


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (as far as it goes); returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # e.g. an unlimited hard limit the kernel caps lower: keep the soft one
    return soft


class _DeadlineReader(io.RawIOBase):
    """The socket as pywsgi reads it, with a deadline: first for a request's first byte (the idle
    timeout), then, once it has begun, for the whole of it (the request timeout)."""

    def __init__(self, sock: socket.socket, request_timeout_s: float) -> None:
        self._sock = sock
        self._request_timeout_s = request_timeout_s
        self._deadline = math.inf
        self._begun = True

    def readable(self) -> bool:
        return True

    def await_request(self, first_byte_within_s: float) -> None:
        self._deadline = time.monotonic() + first_byte_within_s
        self._begun = False

    def readinto(self, buffer) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._sock.settimeout(remaining)
        try:
            count = self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._request_timeout_s)  # what a response may take to be read
        if not self._begun:
            self._deadline, self._begun = time.monotonic() + self._request_timeout_s, True
        return count


class GuardedHandler(WSGIHandler):
    """pywsgi's handler reading through a _DeadlineReader; a timeout is a quiet 408, not a traceback."""

    def __init__(self, sock, address, server, rfile=None) -> None:
        self._reader = _DeadlineReader(sock, server.limits.request_timeout_s)
        super().__init__(sock, address, server, rfile=io.BufferedReader(self._reader))
        self._served = 0

    def handle_one_request(self):
        limits = self.server.limits
        self._reader.await_request(limits.idle_timeout_s if self._served else limits.request_timeout_s)
        self._served += 1
        return super().handle_one_request()

    def handle_one_response(self):
        self.server.answering += 1
        try:
            super().handle_one_response()
        finally:
            self.server.answering -= 1

    def _handle_client_error(self, ex):
        if isinstance(ex, TimeoutError):
            return ("408", _TIMED_OUT)  # no log line: under a slowloris there would be thousands
        if isinstance(ex, ConnectionError):
            self.close_connection = True
            return ("400", b"")
        if isinstance(ex, http.client.HTTPException):
            # More than 100 headers, a header line too long: the client's fault, one line in the log
            # (pywsgi would print a traceback for anything that is not a ValueError).
            self.close_connection = True
            self.log_error("Invalid request (from %s): %s", self.client_address, str(ex) or type(ex).__name__)
            return ("400", _BAD_REQUEST)
        return super()._handle_client_error(ex)


class NoDelayWSGIServer(WSGIServer):
    """pywsgi with Nagle's algorithm off on every accepted connection, and the limits of ServeLimits.

    pywsgi writes the status line and headers, then the body, in two sends. With Nagle on, the
    second waits for the client's delayed ACK of the first: about 40 ms per keep-alive answer
    on Linux loopback instead of well under 1 ms.
    """

    handler_class = GuardedHandler
    backlog = 1024
    """Connections waiting for accept (gevent's default is 128): a burst of them, Locust's users all
    starting at once or a flood, waits in the kernel's queue instead of being dropped and retried."""

    def __init__(self, listener, application, *, limits: ServeLimits | None = None, **options) -> None:
        super().__init__(listener, application, **options)
        self.limits = limits or ServeLimits()
        self.max_connections = self.limits.max_connections or max(raise_descriptor_limit() - FD_MARGIN, 1)
        self.connections = 0
        self.answering = 0
        """Connections inside the application right now: what a stop waits for."""

    def handle(self, sock, address):
        if self.connections >= self.max_connections:
            _refuse(sock)
            return
        self.connections += 1
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle(sock, address)
        finally:
            self.connections -= 1

    def do_read(self):
        """Accept one connection; out of descriptors anyway, pause accepting for a moment instead of
        logging a traceback per attempt (the connections waiting are served once some close)."""
        try:
            return super().do_read()
        except OSError as exc:
            if exc.errno not in _OUT_OF_DESCRIPTORS:
                raise
            self.stop_accepting()
            self._timer = self.loop.timer(0.1)
            self._timer.start(self._start_accepting_if_started)
            return None


def _refuse(sock) -> None:
    try:
        sock.settimeout(1.0)
        sock.sendall(_REFUSED)
    except OSError:
        pass
    finally:
        sock.close()


def url_of(server: WSGIServer) -> str:
    host = server.server_host
    return f"http://[{host}]:{server.server_port}" if ":" in host else f"http://{host}:{server.server_port}"


def serve_until_signalled(
    app,
    *,
    bind: str,
    port: int,
    label: str = "sandbox",
    access_log: bool = False,
    limits: ServeLimits | None = None,
) -> None:
    """Serve ``app``, print ``<label> listening on <url>`` once bound, return after SIGINT or SIGTERM."""
    server = NoDelayWSGIServer((bind, port), app, limits=limits, log="default" if access_log else None)
    server.start()
    print(f"{label} listening on {url_of(server)}", flush=True)
    stop = gevent.event.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, stop.set)
    stop.wait()
    _stop(server)


def _stop(server: NoDelayWSGIServer) -> None:
    """Close the listener, let the requests being answered finish, and leave: the connections idle or
    still sending (thousands, under a slowloris) are closed by the exit, not one by one."""
    server.close()
    deadline = time.monotonic() + STOP_GRACE_S
    while server.answering and time.monotonic() < deadline:
        gevent.sleep(0.02)
    sys.stdout.flush()
    sys.stderr.flush()
    if server.connections:
        os._exit(0)  # tearing down each open connection's greenlet would take longer than the grace
