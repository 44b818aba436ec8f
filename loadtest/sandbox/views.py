"""One handler per endpoint of loadtest/config.py, with DRF-style payloads and field errors.

A handler takes the app and the request (already authenticated when its Endpoint says so) and
returns ``(status, body)``; it raises ``HttpError`` for any other answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loadtest import config
from loadtest.sandbox import catalog
from loadtest.sandbox.faults import FaultSpecError, parse_rules
from loadtest.sandbox.pagination import InvalidPage, paginate
from loadtest.sandbox.state import Collection, DuplicateEmail, Thread, User
from loadtest.sandbox.tokens import ACCESS, REFRESH, TokenError
from loadtest.sandbox.web import HttpError, Request, encoded

if TYPE_CHECKING:
    from loadtest.sandbox.app import SandboxApp

Handler = Callable[["SandboxApp", Request], tuple[int, Any]]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MIN_PASSWORD_LENGTH = 8


def iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class Fields:
    """Reads fields of a JSON body and collects errors as DRF does: ``{"field": ["message"]}``."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def string(self, name: str, *, required: bool = True, max_length: int = 150, blank: bool = False) -> str:
        value = self.data.get(name)
        if value is None:
            if name in self.data:
                self.errors[name] = ["This field may not be null."]
            elif required:
                self.errors[name] = ["This field is required."]
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.errors[name] = ["Not a valid string."]
            return ""
        value = str(value).strip()
        if not value and not blank:
            self.errors[name] = ["This field may not be blank."]
        elif len(value) > max_length:
            self.errors[name] = [f"Ensure this field has no more than {max_length} characters."]
        return value

    def email(self, name: str = "email") -> str:
        value = self.string(name, max_length=254)
        if name not in self.errors and not _EMAIL.match(value):
            self.errors[name] = ["Enter a valid email address."]
        return value

    def password(self, name: str = "password") -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not value:
            return self.string(name, max_length=128)
        problems = []
        if len(value) < MIN_PASSWORD_LENGTH:
            problems.append(
                f"This password is too short. It must contain at least {MIN_PASSWORD_LENGTH} characters."
            )
        if value.isdigit():
            problems.append("This password is entirely numeric.")
        if len(value) > 128:
            problems.append("Ensure this field has no more than 128 characters.")
        if problems:
            self.errors[name] = problems
        return value

    def check(self) -> None:
        if self.errors:
            raise HttpError(400, self.errors)


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": iso(user.date_joined),
    }


def thread_json(thread: Thread) -> dict:
    return {
        "id": thread.id,
        "title": thread.title,
        "created_at": iso(thread.created_at),
        "messages": list(thread.messages),
    }


def collection_json(collection: Collection) -> dict:
    return {
        "id": collection.id,
        "name": collection.name,
        "description": collection.description,
        "created_at": iso(collection.created_at),
        "items_count": 0,
    }


def paginated(request: Request, items: list, to_json: Callable[[Any], Any] | None = None) -> tuple[int, dict]:
    try:
        envelope, page = paginate(
            items, request.param("page"), base=request.base_url, query_string=request.query_string
        )
    except InvalidPage:
        raise HttpError(404, {"detail": "Invalid page."}) from None
    envelope["results"] = [to_json(i) for i in page] if to_json else list(page)
    return 200, envelope


# -- accounts -----------------------------------------------------------------------------------


def sign_up(app: SandboxApp, request: Request) -> tuple[int, Any]:
    fields = Fields(request.json())
    email = fields.email()
    password = fields.password()
    first_name = fields.string("first_name", required=False, blank=True)
    last_name = fields.string("last_name", required=False, blank=True)
    fields.check()
    try:
        user = app.store.add_user(email=email, password=password, first_name=first_name, last_name=last_name)
    except DuplicateEmail:
        raise HttpError(400, {"email": ["user with this email already exists."]}) from None
    return 201, user_json(user)


def sign_in(app: SandboxApp, request: Request) -> tuple[int, Any]:
    fields = Fields(request.json())
    email = fields.string("email", max_length=254)
    password = fields.string("password", max_length=128)
    fields.check()
    user = app.store.authenticate(email, password)
    if user is None:
        raise HttpError(401, {"detail": "No active account found with the given credentials"})
    return 200, {
        "access": app.signer.issue(user.id, ACCESS),
        "refresh": app.signer.issue(user.id, REFRESH),
        "user": user_json(user),
    }


def token_refresh(app: SandboxApp, request: Request) -> tuple[int, Any]:
    fields = Fields(request.json())
    refresh = fields.string("refresh", max_length=4096)
    fields.check()
    try:
        user_id = app.signer.user_id(refresh, REFRESH)
    except TokenError:
        raise HttpError(401, {"detail": "Token is invalid or expired", "code": "token_not_valid"}) from None
    if user_id not in app.store.users:
        raise HttpError(401, {"detail": "User not found", "code": "user_not_found"})
    return 200, {"access": app.signer.issue(user_id, ACCESS)}


# -- dashboard ----------------------------------------------------------------------------------


def dashboard(app: SandboxApp, request: Request) -> tuple[int, Any]:
    # The hottest endpoint of a load test: encoded once per change of the user's state.
    user = request.user
    if user.cached_dashboard is None or user.cached_dashboard[0] != user.version:
        user.cached_dashboard = (user.version, encoded(dashboard_json(app, user)))
    return 200, user.cached_dashboard[1]


def dashboard_json(app: SandboxApp, user: User) -> dict:
    seed = user.id
    threads = app.store.threads_of(user)
    return {
        "user": user_json(user),
        "insights": {
            "chat_threads": len(threads),
            "collections": len(user.collection_ids),
            "learning_streak_days": seed % 30,
            "minutes_this_week": 15 * (seed % 20),
            "completed_courses": seed % 12,
        },
        "recent_threads": [
            {"id": t.id, "title": t.title, "created_at": iso(t.created_at)} for t in threads[:3]
        ],
        "recommended": [catalog.LIBRARY[(seed * 7 + k * 13) % len(catalog.LIBRARY)] for k in range(3)],
    }


def search(app: SandboxApp, request: Request) -> tuple[int, Any]:
    query = request.param("q")
    if query is None:
        raise HttpError(400, {"q": ["This field is required."]})
    if not query.strip():
        raise HttpError(400, {"q": ["This field may not be blank."]})
    return paginated(request, catalog.search(query))


# -- AI assistant -------------------------------------------------------------------------------


_TOOLS_AND_TEMPLATES = encoded({"tools": catalog.TOOLS, "templates": catalog.TEMPLATES})
_HELP_ARTICLES = encoded(catalog.HELP_ARTICLES)


def tools_and_templates(app: SandboxApp, request: Request) -> tuple[int, Any]:
    return 200, _TOOLS_AND_TEMPLATES


def mystery_box(app: SandboxApp, request: Request) -> tuple[int, Any]:
    return 200, app.content_rng.choice(catalog.MYSTERY_BOXES)


def chat_thread(app: SandboxApp, request: Request) -> tuple[int, Any]:
    fields = Fields(request.json())
    title = fields.string("title", required=False, blank=True, max_length=200)
    message = fields.string("message", max_length=4000)
    fields.check()
    now = iso(time.time())
    messages = [
        {"role": "user", "content": message, "created_at": now},
        {"role": "assistant", "content": f"Here is a first answer about: {message[:80]}", "created_at": now},
    ]
    thread = app.store.add_thread(request.user, title=title or message[:50], messages=messages)
    return 201, thread_json(thread)


def my_collections(app: SandboxApp, request: Request) -> tuple[int, Any]:
    return paginated(request, app.store.collections_of(request.user), collection_json)


def library(app: SandboxApp, request: Request) -> tuple[int, Any]:
    category = request.param("category")
    items = catalog.LIBRARY_BY_CATEGORY.get(category, []) if category else catalog.LIBRARY
    return paginated(request, items)


def create_collection(app: SandboxApp, request: Request) -> tuple[int, Any]:
    fields = Fields(request.json())
    name = fields.string("name", max_length=100)
    description = fields.string("description", required=False, blank=True, max_length=1000)
    fields.check()
    return 201, collection_json(app.store.add_collection(request.user, name=name, description=description))


# -- help center --------------------------------------------------------------------------------


def help_articles(app: SandboxApp, request: Request) -> tuple[int, Any]:
    return 200, _HELP_ARTICLES


def contact_us(app: SandboxApp, request: Request) -> tuple[int, Any]:
    fields = Fields(request.json())
    name = fields.string("name", required=False, blank=True)
    email = fields.email()
    subject = fields.string("subject", required=False, blank=True, max_length=200)
    message = fields.string("message", max_length=5000)
    fields.check()
    saved = app.store.add_contact_message(
        {"name": name, "email": email, "subject": subject, "message": message, "created_at": iso(time.time())}
    )
    return 201, saved


HANDLERS: dict[config.Endpoint, Handler] = {
    config.SIGN_UP: sign_up,
    config.SIGN_IN: sign_in,
    config.TOKEN_REFRESH: token_refresh,
    config.DASHBOARD: dashboard,
    config.SEARCH: search,
    config.TOOLS_AND_TEMPLATES: tools_and_templates,
    config.MYSTERY_BOX: mystery_box,
    config.CHAT_THREAD: chat_thread,
    config.MY_COLLECTIONS: my_collections,
    config.LIBRARY: library,
    config.CREATE_COLLECTION: create_collection,
    config.HELP_ARTICLES: help_articles,
    config.CONTACT_US: contact_us,
}


# -- admin (only with --admin; never subject to faults) -----------------------------------------


def get_faults(app: SandboxApp, request: Request) -> tuple[int, Any]:
    return 200, {"rules": [rule.to_dict() for rule in app.injector.rules]}


def put_faults(app: SandboxApp, request: Request) -> tuple[int, Any]:
    data = request.json()
    if set(data) != {"rules"}:
        raise HttpError(400, {"rules": ['Send {"rules": [...]}, a list of fault rules.']})
    try:
        rules = parse_rules(data["rules"])
    except FaultSpecError as exc:
        raise HttpError(400, {"rules": [str(exc)]}) from None
    app.injector.replace(rules)
    return get_faults(app, request)


def get_stats(app: SandboxApp, request: Request) -> tuple[int, Any]:
    return 200, app.store.stats()


ADMIN_PREFIX = "/__sandbox/"
ADMIN_HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", "/__sandbox/faults"): get_faults,
    ("PUT", "/__sandbox/faults"): put_faults,
    ("GET", "/__sandbox/stats"): get_stats,
}
