"""The five task sets of the Amal Education load test, one per area of the product.

Each task set runs one task and hands control back to the user, so the user's task-set
weights decide the mix of every request, not just of the first. A task's tags come from
its endpoint in the contract: the area (auth, dashboard, ai, library, help) and, for every
endpoint that writes data, ``write``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

from locust import TaskSet, tag, task

from loadtest import contract
from loadtest.contract import Endpoint
from loadtest.user.data import IdentityFactory
from loadtest.user.session import ApiSession, SignInFailed


class Visitor(Protocol):
    """What a task set needs of its user (locust_user.AmalEducationUser is one).

    A protocol rather than the user class, so that the user imports its task sets and
    nothing imports back.
    """

    api: ApiSession
    identities: IdentityFactory

    def sessions_for_task(self) -> list[ApiSession]: ...

    def sign_in_again(self) -> None: ...


class OneTaskPerVisit(TaskSet):
    """Runs one task, then returns to the user, who waits and picks the next task set."""

    user: Visitor

    def execute_task(self, task):  # noqa: ANN001 - Locust's signature
        # In a run of a base against a head, the same task goes to each side (loadtest.sides).
        for session in self.user.sessions_for_task():
            self.user.api = session
            super().execute_task(task)
        self.interrupt(reschedule=False)


def visits(endpoint: Endpoint) -> Callable[[Callable], Callable]:
    """Make a method a task of ``endpoint``: tagged from the contract, and known to the coverage check."""

    def decorate(method: Callable) -> Callable:
        method.endpoint = endpoint
        return task(tag(*endpoint.tags)(method))

    return decorate


def visit(endpoint: Endpoint) -> Callable:
    """A task that sends one request of ``endpoint``, built from the contract."""

    @visits(endpoint)
    def send(self: OneTaskPerVisit) -> None:
        self.user.api.send(endpoint)

    return send


class AuthenticationTasks(OneTaskPerVisit):
    @visits(contract.SIGN_UP)
    def sign_up(self) -> None:
        # A new account each time; the user stays who it is (a failure is already in the stats).
        with contextlib.suppress(SignInFailed):
            self.user.api.sign_up(self.user.identities.new(), keep_tokens=False)

    @visits(contract.SIGN_IN)
    def sign_in(self) -> None:
        # Renews the user's tokens; a failure is already in the stats. With LOADTEST_TOKEN
        # only there is no account to sign in with: the gate reports the endpoint as not exercised.
        self.user.sign_in_again()

    @visits(contract.TOKEN_REFRESH)
    def refresh_token_endpoint(self) -> None:
        self.user.api.refresh()


class DashboardTasks(OneTaskPerVisit):
    get_dashboard_insights = visit(contract.DASHBOARD)
    search_anything = visit(contract.SEARCH)


class AIAssistantTasks(OneTaskPerVisit):
    get_tools_and_templates = visit(contract.TOOLS_AND_TEMPLATES)
    get_random_mystery_box = visit(contract.MYSTERY_BOX)
    create_thread = visit(contract.CHAT_THREAD)
    get_my_collections = visit(contract.MY_COLLECTIONS)


class LibraryTasks(OneTaskPerVisit):
    get_library_data = visit(contract.LIBRARY)
    create_collection = visit(contract.CREATE_COLLECTION)


class HelpCenterTasks(OneTaskPerVisit):
    get_help_articles = visit(contract.HELP_ARTICLES)
    submit_contact_us = visit(contract.CONTACT_US)
