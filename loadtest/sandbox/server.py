"""How the sandbox (and the benchmark's hello-world) is served: gevent's pywsgi with TCP_NODELAY."""

from __future__ import annotations

import signal
import socket

import gevent
import gevent.event
from gevent.pywsgi import WSGIServer

STOP_GRACE_S = 1.0
"""How long open keep-alive connections may finish after SIGINT/SIGTERM."""


class NoDelayWSGIServer(WSGIServer):
    """pywsgi with Nagle's algorithm off on every accepted connection.

    pywsgi writes the status line and headers, then the body, in two sends. With Nagle on, the
    second waits for the client's delayed ACK of the first: about 40 ms per keep-alive answer
    on Linux loopback instead of well under 1 ms.
    """

    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def url_of(server: WSGIServer) -> str:
    host = server.server_host
    return f"http://[{host}]:{server.server_port}" if ":" in host else f"http://{host}:{server.server_port}"


def serve_until_signalled(
    app, *, bind: str, port: int, label: str = "sandbox", access_log: bool = False
) -> None:
    """Serve ``app``, print ``<label> listening on <url>`` once bound, return after SIGINT or SIGTERM."""
    server = NoDelayWSGIServer((bind, port), app, log="default" if access_log else None)
    server.start()
    print(f"{label} listening on {url_of(server)}", flush=True)
    stop = gevent.event.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, stop.set)
    stop.wait()
    server.stop(timeout=STOP_GRACE_S)
