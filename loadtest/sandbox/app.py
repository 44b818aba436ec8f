"""The sandbox's WSGI application: the API key, routing, authentication, fault injection, errors.

Authentication answers as SimpleJWT's ``JWTAuthentication`` does, body for body; the API key
is checked first, on every request to a path of the API, as the real backend requires it.
"""

from __future__ import annotations

import hmac
import logging
import random
from typing import Any

import gevent

from loadtest import contract
from loadtest.sandbox import views
from loadtest.sandbox.faults import FaultInjector
from loadtest.sandbox.state import Store
from loadtest.sandbox.tokens import ACCESS, TokenError, TokenSigner
from loadtest.sandbox.web import WWW_AUTHENTICATE, HttpError, Request, method_not_allowed, not_found, respond

log = logging.getLogger("loadtest.sandbox")

_API_KEY_ENVIRON = "HTTP_" + contract.API_KEY_HEADER.upper().replace("-", "_")
_NO_CREDENTIALS = "Authentication credentials were not provided."
_NO_API_KEY = f"The {contract.API_KEY_HEADER} header with the app's API key is missing."
_WRONG_API_KEY = f"The {contract.API_KEY_HEADER} header does not hold a valid API key."


class Route:
    """What a path answers to: per method, the Locust stats name, whether auth is needed, the handler."""

    __slots__ = ("methods",)

    def __init__(self) -> None:
        self.methods: dict[str, tuple[str, bool, views.Handler]] = {}

    @property
    def allowed(self) -> list[str]:
        return [*self.methods, "OPTIONS"]


def _routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for endpoint, handler in views.HANDLERS.items():
        routes.setdefault(endpoint.path, Route()).methods[endpoint.method] = (
            endpoint.name,
            endpoint.auth,
            handler,
        )
    return routes


ROUTES = _routes()


class SandboxApp:
    """Serves the stand-in Amal Education API as a WSGI callable."""

    def __init__(
        self,
        *,
        api_key: str,
        store: Store | None = None,
        signer: TokenSigner | None = None,
        injector: FaultInjector | None = None,
        admin: bool = False,
        seed: int | None = None,
    ) -> None:
        self.store = store or Store()
        self.signer = signer or TokenSigner()
        self.injector = injector or FaultInjector(seed=seed)
        self.admin = admin
        self._api_key = api_key.encode()
        self.content_rng = random.Random(None if seed is None else f"content-{seed}")
        self._logged_failures: set[tuple[str, type]] = set()

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        request = Request(environ)
        if self.admin and request.path.startswith(views.ADMIN_PREFIX):
            return self._serve_admin(request, start_response)
        self.store.requests_served += 1
        route = ROUTES.get(request.path)
        # Django resolves the URL before a view checks the key: a path the API lacks is 404 with or
        # without one, and so are the admin paths of a sandbox started without --admin.
        refused = self._api_key_refusal(request) if route is not None else None
        if refused:
            return respond(start_response, 403, {"detail": refused})
        entry = route.methods.get(request.method) if route else None
        name = entry[0] if entry else f"{request.method} {request.path}"
        rule = self.injector.rule_for(name)
        if rule is not None:
            delay, error_status = self.injector.decide(rule)
            if delay > 0:
                gevent.sleep(delay)  # cooperative: the other requests go on meanwhile
            if error_status is not None:
                detail = "Service temporarily unavailable (injected fault)."
                return respond(start_response, error_status, {"detail": detail, "code": "injected_fault"})
        try:
            if entry is None:
                status, body = self._no_handler(request, route)
            else:
                if entry[1]:
                    request.user = self._authenticate(request)
                status, body = entry[2](self, request)
            return respond(start_response, status, body)
        except HttpError as exc:
            return respond(start_response, exc.status, exc.body, exc.headers)
        except Exception as exc:  # a bug of ours: answer 500 without a traceback, log it once
            return self._unexpected(start_response, name, exc)

    def _no_handler(self, request: Request, route: Route | None) -> tuple[int, Any]:
        if route is None:
            raise not_found()
        if request.method == "OPTIONS":
            body = {"name": request.path, "renders": ["application/json"], "parses": ["application/json"]}
            raise HttpError(200, body, [("Allow", ", ".join(route.allowed))])
        raise method_not_allowed(request.method, route.allowed)

    def _api_key_refusal(self, request: Request) -> str | None:
        """Why the request's API key is refused, or None; compared in constant time."""
        sent = request.environ.get(_API_KEY_ENVIRON)
        if not sent:
            return _NO_API_KEY
        return None if hmac.compare_digest(sent.encode(), self._api_key) else _WRONG_API_KEY

    def _authenticate(self, request: Request):
        """The user of the request's access token, or SimpleJWT's 401 in SimpleJWT's words."""
        parts = request.environ.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0] != "Bearer":
            # Not a bearer header: JWTAuthentication does not apply, DRF says nobody signed in.
            raise HttpError(401, {"detail": _NO_CREDENTIALS}, WWW_AUTHENTICATE)
        if len(parts) != 2:
            detail = "Authorization header must contain two space-delimited values"
            raise HttpError(401, {"detail": detail, "code": "bad_authorization_header"}, WWW_AUTHENTICATE)
        try:
            user_id = self.signer.user_id(parts[1], ACCESS)
        except TokenError as exc:
            body = {
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{"token_class": "AccessToken", "token_type": "access", "message": str(exc)}],
            }
            raise HttpError(401, body, WWW_AUTHENTICATE) from None
        user = self.store.active_user(user_id)
        if user is None:
            raise HttpError(401, {"detail": "User not found", "code": "user_not_found"}, WWW_AUTHENTICATE)
        return user

    def _serve_admin(self, request: Request, start_response) -> list[bytes]:
        handler = views.ADMIN_HANDLERS.get((request.method, request.path))
        try:
            if handler is None:
                methods = [m for m, p in views.ADMIN_HANDLERS if p == request.path]
                raise method_not_allowed(request.method, methods) if methods else not_found()
            status, body = handler(self, request)
            return respond(start_response, status, body)
        except HttpError as exc:
            return respond(start_response, exc.status, exc.body, exc.headers)
        except Exception as exc:
            return self._unexpected(start_response, f"{request.method} {request.path}", exc)

    def _unexpected(self, start_response, name: str, exc: Exception) -> list[bytes]:
        key = (name, type(exc))
        # Once per endpoint and kind of error: a load test must not flood the log.
        if key not in self._logged_failures and len(self._logged_failures) < 100:
            self._logged_failures.add(key)
            log.error("unexpected error in %s (logged once)", name, exc_info=exc)
        return respond(start_response, 500, {"detail": "A server error occurred."})
