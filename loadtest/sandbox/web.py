"""The little HTTP vocabulary the sandbox's raw WSGI app needs: requests, JSON answers, errors.

Raw WSGI rather than Flask because the sandbox must never be what a load test measures
(see ``loadtest/sandbox/__init__.py`` for the figures).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

MAX_BODY_BYTES = 1024 * 1024
"""Bodies above 1 MiB are refused with 413."""

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
STATUS_LINES = {code: f"{code} {reason}" for code, reason in REASONS.items()}

# ASCII output: a lone surrogate a client sent (valid JSON) cannot break the UTF-8 encoding of the answer.
_encode = json.JSONEncoder(separators=(",", ":")).encode


WWW_AUTHENTICATE = [("WWW-Authenticate", 'Bearer realm="api"')]
"""What SimpleJWT's views send with a 401."""
_CLOSE = [("Connection", "close")]
"""After a body that broke off, the rest of the stream cannot be trusted to start a request."""


class HttpError(Exception):
    """Raised anywhere in a handler to answer ``status`` with the JSON ``body``."""

    def __init__(self, status: int, body: dict, headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or []


def not_found() -> HttpError:
    return HttpError(404, {"detail": "Not found."})


def method_not_allowed(method: str, allowed: list[str]) -> HttpError:
    return HttpError(405, {"detail": f'Method "{method}" not allowed.'}, [("Allow", ", ".join(allowed))])


class EncodedJson(bytes):
    """A body already encoded, for answers that do not change between requests."""


def encoded(body: Any) -> EncodedJson:
    return EncodedJson(_encode(body).encode("ascii"))


def respond(
    start_response, status: int, body: Any, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    payload = body if isinstance(body, EncodedJson) else _encode(body).encode("ascii")
    start_response(
        STATUS_LINES[status],
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *(headers or ())],
    )
    return [payload]


class Request:
    """One request: method, path, query parameters, JSON body and, once authenticated, its user."""

    __slots__ = ("environ", "method", "path", "user", "_query")

    def __init__(self, environ: dict) -> None:
        self.environ = environ
        self.method: str = environ["REQUEST_METHOD"]
        self.path: str = environ["PATH_INFO"]
        self.user = None
        self._query: dict[str, list[str]] | None = None

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        values = self._parsed_query().get(name)
        return values[0] if values else None

    def params(self) -> dict[str, str]:
        """Every query parameter with its first value, as Django's ``request.GET`` reads them."""
        return {name: values[0] for name, values in self._parsed_query().items()}

    def _parsed_query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = parse_qs(self.environ.get("QUERY_STRING", ""), keep_blank_values=True)
        return self._query

    @property
    def query_string(self) -> str:
        return self.environ.get("QUERY_STRING", "")

    @property
    def base_url(self) -> str:
        """``scheme://host[:port]/path`` as the client addressed it, for absolute pagination links."""
        env = self.environ
        host = env.get("HTTP_HOST") or f"{env['SERVER_NAME']}:{env['SERVER_PORT']}"
        return f"{env['wsgi.url_scheme']}://{host}{self.path}"

    def json(self) -> dict:
        """The body as a JSON object; 413 above 1 MiB, 400 when malformed. An empty body is ``{}``."""
        raw = self._body()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise HttpError(400, {"detail": f"JSON parse error - {exc}"}) from None
        if not isinstance(data, dict):
            kind = {list: "list", str: "str", int: "int", float: "float", bool: "bool"}.get(
                type(data), "null"
            )
            raise HttpError(
                400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
            )
        return data

    def _body(self) -> bytes:
        too_large = HttpError(413, {"detail": f"Request body is larger than {MAX_BODY_BYTES} bytes."})
        length = self.environ.get("CONTENT_LENGTH")
        if length and int(length) > MAX_BODY_BYTES:
            raise too_large
        raw = self._read(int(length) if length else MAX_BODY_BYTES + 1)  # chunked: one byte past the limit
        if len(raw) > MAX_BODY_BYTES:
            raise too_large
        return raw

    def _read(self, length: int) -> bytes:
        """The body, or the client's fault as a 4xx that closes the connection: pywsgi raises an
        OSError when a body ends (the client half-closed) before its Content-Length."""
        try:
            return self.environ["wsgi.input"].read(length)
        except TimeoutError:
            raise HttpError(408, {"detail": "The request body did not arrive in time."}, _CLOSE) from None
        except (OSError, ValueError) as exc:
            detail = f"The request body ended before its Content-Length: {exc}."
            raise HttpError(400, {"detail": detail}, _CLOSE) from None
