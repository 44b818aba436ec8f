"""The five task sets of the Amal Education load test, one per area of the product.

Each task set runs one task and hands control back to the user, so the
user's task-set weights decide the mix of every request, not just of the
first. Tags: each set has its own (auth, dashboard, ai, library, help) and
every task that writes data also has ``write``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from locust import TaskSet, tag, task

from loadtest import config
from loadtest.data import HELP_SUBJECTS, LIBRARY_CATEGORIES
from loadtest.session import has_id, is_list_or_page, paginated

if TYPE_CHECKING:
    from loadtest.user import AmalEducationUser


class OneTaskPerVisit(TaskSet):
    """Runs one task, then returns to the user, who waits and picks the next task set."""

    user: AmalEducationUser

    def execute_task(self, task):  # noqa: ANN001 - Locust's signature
        super().execute_task(task)
        self.interrupt(reschedule=False)

    def pick(self, pool: tuple[str, ...]) -> str:
        return self.user.rng.choice(pool)


@tag("auth")
class AuthenticationTasks(OneTaskPerVisit):
    @tag("write")
    @task
    def sign_up(self) -> None:
        self.user.api.sign_up(self.user.identities.new())

    @task
    def sign_in(self) -> None:
        # Signing in again renews the user's tokens; a failure is already in the stats.
        self.user.sign_in(required=False)

    @task
    def refresh_token_endpoint(self) -> None:
        self.user.api.refresh()


@tag("dashboard")
class DashboardTasks(OneTaskPerVisit):
    @task
    def get_dashboard_insights(self) -> None:
        self.user.api.call(config.DASHBOARD, check=_is_object)

    @task
    def search_anything(self) -> None:
        params = {"q": self.pick(self.user.pools.search_terms), "page": 1}
        self.user.api.call(config.SEARCH, params=params, check=paginated)


@tag("ai")
class AIAssistantTasks(OneTaskPerVisit):
    @task
    def get_tools_and_templates(self) -> None:
        self.user.api.call(config.TOOLS_AND_TEMPLATES, check=_is_object_or_list)

    @task
    def get_random_mystery_box(self) -> None:
        self.user.api.call(config.MYSTERY_BOX, check=_is_object)

    @tag("write")
    @task
    def create_thread(self) -> None:
        pools = self.user.pools
        payload = {"title": self.pick(pools.thread_titles), "message": self.pick(pools.messages)}
        self.user.api.call(config.CHAT_THREAD, expect=(201,), json=payload, check=has_id)

    @task
    def get_my_collections(self) -> None:
        self.user.api.call(config.MY_COLLECTIONS, check=is_list_or_page)


@tag("library")
class LibraryTasks(OneTaskPerVisit):
    @task
    def get_library_data(self) -> None:
        params = {"page": 1}
        if self.user.rng.random() < 0.5:
            params["category"] = self.pick(LIBRARY_CATEGORIES)
        self.user.api.call(config.LIBRARY, params=params, check=paginated)

    @tag("write")
    @task
    def create_collection(self) -> None:
        pools = self.user.pools
        payload = {"name": self.pick(pools.collection_names), "description": self.pick(pools.descriptions)}
        self.user.api.call(config.CREATE_COLLECTION, expect=(201,), json=payload, check=has_id)


@tag("help")
class HelpCenterTasks(OneTaskPerVisit):
    @task
    def get_help_articles(self) -> None:
        self.user.api.call(config.HELP_ARTICLES, check=is_list_or_page)

    @tag("write")
    @task
    def submit_contact_us(self) -> None:
        pools = self.user.pools
        identity = self.user.identity
        payload = {
            "name": f"{identity['first_name']} {identity['last_name']}",
            "email": identity["email"],
            "subject": self.pick(HELP_SUBJECTS),
            "message": self.pick(pools.messages),
        }
        self.user.api.call(config.CONTACT_US, expect=(201,), json=payload)


def _is_object(body: object) -> str | None:
    return None if isinstance(body, dict) else f"expected a JSON object, got {type(body).__name__}"


def _is_object_or_list(body: object) -> str | None:
    if isinstance(body, dict | list):
        return None
    return f"expected JSON object or list, got {type(body).__name__}"
