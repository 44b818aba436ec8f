"""Bare Locust users for the generator benchmark: one GET in a loop, no data, no checks, no wait.

They are the floor the full locustfile is compared with: ``locust -f tools/bench/bare_users.py
BareFastHttpUser`` (or ``BareHttpUser``). The endpoint needs no token, so nothing but the request
itself is measured.
"""

from locust import FastHttpUser, HttpUser, constant, task

from loadtest import contract
from loadtest.settings import Settings

PATH = contract.HELP_ARTICLES.path
HEADERS = {contract.API_KEY_HEADER: Settings.from_environ().api_key}


class BareFastHttpUser(FastHttpUser):
    """FastHttpUser (geventhttpclient) fetching the help articles as fast as it can."""

    wait_time = constant(0)

    @task
    def get(self) -> None:
        self.client.get(PATH, headers=HEADERS)


class BareHttpUser(HttpUser):
    """HttpUser (requests) doing the same."""

    wait_time = constant(0)

    @task
    def get(self) -> None:
        self.client.get(PATH, headers=HEADERS)
