"""One handler per endpoint of the contract: it validates the request by the contract and answers.

A handler takes the app (as a ``Backend``: what it needs of it) and the request (already
authenticated when its Endpoint says so) and returns ``(status, body)``; it raises ``HttpError``
for any other answer. Bodies the contract marks as assumed keep the stand-in's first shapes;
``tests/integration/test_contract_agreement.py`` checks that every answer passes the load test's checks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, Protocol

from loadtest import contract
from loadtest.contract import ContractViolation, Endpoint
from loadtest.sandbox import catalog
from loadtest.sandbox.faults import FaultInjector, FaultSpecError, parse_rules
from loadtest.sandbox.pagination import InvalidPage, paginate
from loadtest.sandbox.state import Collection, DuplicateEmail, Store, User
from loadtest.sandbox.tokens import ACCESS, REFRESH, TokenError, TokenSigner
from loadtest.sandbox.web import WWW_AUTHENTICATE, HttpError, Request, encoded


class Backend(Protocol):
    """What a handler needs of the stand-in (loadtest.sandbox.app.SandboxApp is one).

    A protocol rather than the app class, so that the app imports its views and nothing
    imports back.
    """

    store: Store
    signer: TokenSigner
    injector: FaultInjector
    content_rng: random.Random


Handler = Callable[[Backend, Request], tuple[int, Any]]


def iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def body_of(endpoint: Endpoint, request: Request) -> dict[str, Any]:
    """The request's JSON body as the contract accepts it; DRF's 400 otherwise."""
    try:
        return endpoint.validate_body(request.json())
    except ContractViolation as exc:
        raise HttpError(400, exc.errors) from None


def query_of(endpoint: Endpoint, request: Request) -> dict[str, Any]:
    try:
        return endpoint.validate_query(request.params())
    except ContractViolation as exc:
        raise HttpError(400, exc.errors) from None


def user_json(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "username": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": iso(user.date_joined),
        "is_active": True,
    }


def collection_json(collection: Collection) -> dict:
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "privacy": collection.privacy,
        "color_code": collection.color_code,
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


def tokens_json(app: Backend, user: User) -> dict:
    return {"access": app.signer.issue(user.id, ACCESS), "refresh": app.signer.issue(user.id, REFRESH)}


# -- accounts -----------------------------------------------------------------------------------


def sign_up(app: Backend, request: Request) -> tuple[int, Any]:
    fields = body_of(contract.SIGN_UP, request)
    try:
        user = app.store.add_user(
            email=fields["email"], password=fields["password"], first_name="", last_name=""
        )
    except DuplicateEmail:
        raise HttpError(409, {"detail": "A user with this email already exists."}) from None
    return 201, {**tokens_json(app, user), "user": user_json(user)}


def sign_in(app: Backend, request: Request) -> tuple[int, Any]:
    fields = body_of(contract.SIGN_IN, request)
    user = app.store.authenticate(fields["username"], fields["password"])
    if user is None:
        detail = {"detail": "No active account found with the given credentials"}
        raise HttpError(401, detail, WWW_AUTHENTICATE)
    return 200, {**tokens_json(app, user), **user_json(user)}


def token_refresh(app: Backend, request: Request) -> tuple[int, Any]:
    fields = body_of(contract.TOKEN_REFRESH, request)
    try:
        user_id, access, refresh = app.signer.rotate(fields["refresh"])
    except TokenError as exc:
        raise HttpError(401, {"detail": str(exc), "code": "token_not_valid"}, WWW_AUTHENTICATE) from None
    if user_id not in app.store.users:
        raise HttpError(401, {"detail": "User not found", "code": "user_not_found"}, WWW_AUTHENTICATE)
    return 200, {"access": access, "refresh": refresh}


# -- dashboard ----------------------------------------------------------------------------------


def dashboard(app: Backend, request: Request) -> tuple[int, Any]:
    # The hottest endpoint of a load test: encoded once per change of the user's state.
    user = request.user
    if user.cached_dashboard is None or user.cached_dashboard[0] != user.version:
        user.cached_dashboard = (user.version, encoded(dashboard_json(app, user)))
    return 200, user.cached_dashboard[1]


def dashboard_json(app: Backend, user: User) -> dict:
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
            {"thread_id": t.id, "title": t.title, "created_at": iso(t.created_at)} for t in threads[:3]
        ],
        "recommended": [catalog.LIBRARY[(seed * 7 + k * 13) % len(catalog.LIBRARY)] for k in range(3)],
    }


def search(app: Backend, request: Request) -> tuple[int, Any]:
    query = query_of(contract.SEARCH, request)
    return paginated(request, catalog.search(query.get("q", "")))


# -- AI assistant -------------------------------------------------------------------------------


_TOOLS_AND_TEMPLATES = encoded({"tools": catalog.TOOLS, "templates": catalog.TEMPLATES})
_HELP_ARTICLES = encoded(catalog.HELP_ARTICLES)


def tools_and_templates(app: Backend, request: Request) -> tuple[int, Any]:
    return 200, _TOOLS_AND_TEMPLATES


def mystery_box(app: Backend, request: Request) -> tuple[int, Any]:
    return 200, app.content_rng.choice(catalog.MYSTERY_BOXES)


def chat_thread(app: Backend, request: Request) -> tuple[int, Any]:
    fields = body_of(contract.CHAT_THREAD, request)
    message, role = fields["message"], fields["role"]
    now = iso(time.time())
    messages = [
        {"role": role, "message": message, "created_at": now},
        {"role": 2, "message": f"Here is a first answer about: {message[:80]}", "created_at": now},
    ]
    thread = app.store.add_thread(request.user, title=message[:50], messages=messages)
    return 200, {"thread_id": thread.id, "title": thread.title, "messages": list(thread.messages)}


def my_collections(app: Backend, request: Request) -> tuple[int, Any]:
    return paginated(request, app.store.collections_of(request.user), collection_json)


def library(app: Backend, request: Request) -> tuple[int, Any]:
    category = query_of(contract.LIBRARY, request).get("category")
    items = catalog.LIBRARY_BY_CATEGORY.get(category, []) if category else catalog.LIBRARY
    return paginated(request, items)


def create_collection(app: Backend, request: Request) -> tuple[int, Any]:
    fields = body_of(contract.CREATE_COLLECTION, request)
    collection = app.store.add_collection(
        request.user,
        title=fields["title"],
        description=fields.get("description", ""),
        privacy=fields["privacy"],
        color_code=fields["color_code"],
    )
    return 201, collection_json(collection)


# -- help center --------------------------------------------------------------------------------


def help_articles(app: Backend, request: Request) -> tuple[int, Any]:
    return 200, _HELP_ARTICLES


def contact_us(app: Backend, request: Request) -> tuple[int, Any]:
    fields = body_of(contract.CONTACT_US, request)
    return 201, app.store.add_contact_message({**fields, "created_at": iso(time.time())})


HANDLERS: dict[Endpoint, Handler] = {
    contract.SIGN_UP: sign_up,
    contract.SIGN_IN: sign_in,
    contract.TOKEN_REFRESH: token_refresh,
    contract.DASHBOARD: dashboard,
    contract.SEARCH: search,
    contract.TOOLS_AND_TEMPLATES: tools_and_templates,
    contract.MYSTERY_BOX: mystery_box,
    contract.CHAT_THREAD: chat_thread,
    contract.MY_COLLECTIONS: my_collections,
    contract.LIBRARY: library,
    contract.CREATE_COLLECTION: create_collection,
    contract.HELP_ARTICLES: help_articles,
    contract.CONTACT_US: contact_us,
}


# -- admin (only with --admin; never subject to faults) -----------------------------------------


def get_faults(app: Backend, request: Request) -> tuple[int, Any]:
    return 200, {"rules": [rule.to_dict() for rule in app.injector.rules]}


def put_faults(app: Backend, request: Request) -> tuple[int, Any]:
    data = request.json()
    if set(data) != {"rules"}:
        raise HttpError(400, {"rules": ['Send {"rules": [...]}, a list of fault rules.']})
    try:
        rules = parse_rules(data["rules"])
    except FaultSpecError as exc:
        raise HttpError(400, {"rules": [str(exc)]}) from None
    app.injector.replace(rules)
    return get_faults(app, request)


def get_stats(app: Backend, request: Request) -> tuple[int, Any]:
    return 200, app.store.stats()


ADMIN_PREFIX = "/__sandbox/"
ADMIN_HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", "/__sandbox/faults"): get_faults,
    ("PUT", "/__sandbox/faults"): put_faults,
    ("GET", "/__sandbox/stats"): get_stats,
}
