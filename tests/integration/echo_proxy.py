"""An API that echoes what it was sent: a real HTTP proxy on loopback in front of the stand-in, which
answers some requests 400 with a body quoting the request's secrets, as some APIs do (a validation error
quoting a field, a bad header repeated back). Everything else is forwarded as it is.

- search: ``{"detail": "you sent X-API-Token=<the API key>"}``
- contact-us: ``{"password": ["<the password> is too common"]}`` (the password of the last sign-in)
- library: ``{"detail": "token <the bearer access token> is not valid"}``
- my-collection: ``{"refresh": ["<the last refresh token issued> is blacklisted"]}``
- help-articles: ``{"detail": "see http://<email local part>:<password>@example.org/"}``

It remembers every access and refresh token the stand-in issued through it, so a test can look for each.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from loadtest import contract

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Echoes:
    """What the proxy saw: the tokens issued, the password signed in with, how often it echoed each kind."""

    tokens: set[str] = field(default_factory=set)
    refresh: str = ""
    password: str = ""
    email: str = ""
    echoed: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _echo_body(path: str, headers, echoes: Echoes) -> tuple[str, bytes] | None:
    """(kind, body) of the 400 that echoes a secret for ``path``; None to forward the request."""
    bearer = (headers.get("Authorization") or "").removeprefix("Bearer ")
    local = echoes.email.split("@")[0]
    answers = {
        contract.SEARCH.path: (
            "key",
            {"detail": f"you sent X-API-Token={headers.get(contract.API_KEY_HEADER)}"},
        ),
        contract.CONTACT_US.path: ("password", {"password": [f"{echoes.password} is too common"]}),
        contract.LIBRARY.path: ("access", {"detail": f"token {bearer} is not valid"}),
        contract.MY_COLLECTIONS.path: ("refresh", {"refresh": [f"{echoes.refresh} is blacklisted"]}),
        contract.HELP_ARTICLES.path: (
            "url",
            {"detail": f"see http://{local}:{echoes.password}@example.org/"},
        ),
    }
    found = answers.get(urlsplit(path).path)
    if found is None or (found[0] == "access" and not bearer) or (found[0] != "key" and not echoes.password):
        return None
    return found[0], json.dumps(found[1]).encode()


def _handler(upstream: str, echoes: Echoes) -> type[BaseHTTPRequestHandler]:
    parts = urlsplit(upstream)

    class EchoingProxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _proxy(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            echo = _echo_body(self.path, self.headers, echoes)
            if echo is not None:
                with echoes.lock:
                    echoes.echoed[echo[0]] += 1
                self._answer(400, {"Content-Type": "application/json"}, echo[1])
                return
            self._remember_request(body)
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
                self._remember_tokens(payload)
                kept = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP}
                self._answer(answer.status, kept, payload)
            finally:
                connection.close()

        def _remember_request(self, body: bytes) -> None:
            if urlsplit(self.path).path == contract.SIGN_IN.path:
                sent = json.loads(body or b"{}")
                with echoes.lock:
                    echoes.password, echoes.email = sent.get("password", ""), sent.get("username", "")

        def _remember_tokens(self, payload: bytes) -> None:
            try:
                answer = json.loads(payload)
            except ValueError:
                return
            if isinstance(answer, dict) and isinstance(answer.get("access"), str):
                with echoes.lock:
                    echoes.tokens |= {
                        answer["access"],
                        *([answer["refresh"]] if answer.get("refresh") else []),
                    }
                    echoes.refresh = answer.get("refresh") or echoes.refresh

        def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _proxy

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    return EchoingProxy


@contextmanager
def echoing_proxy(upstream: str) -> Iterator[tuple[str, Echoes]]:
    """(the proxy's base URL, what it saw) for a proxy in front of ``upstream``; stopped on exit."""
    echoes = Echoes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, echoes))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", echoes
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
