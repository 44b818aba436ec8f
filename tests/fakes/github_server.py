"""A fake GitHub REST API on loopback: the endpoints our scripts use, in memory, with scriptable failures.

It is a real HTTP server (werkzeug, threaded) on 127.0.0.1 and a free port, so the
client's timeouts, redirects and headers are exercised for real. Every request is
recorded, including whether it carried an Authorization header.

In a test::

    with FakeGitHub(token="t0k3n") as github:
        github.add_pull(7, head_sha="a" * 40)
        github.fail("POST", r"/issues/7/comments$", status=502)
        ...  # run code with GITHUB_API_URL=github.url, GITHUB_REPOSITORY=github.repository
        assert len(github.comments(7)) == 1

From a shell (the ``act`` rehearsal)::

    python -m tests.fakes.github_server --port 0 [--token T] [--repository owner/name] [--seed FILE]

prints its URL on the first line and serves until terminated. The same seeding and
failure scripting is reachable over HTTP: ``POST /_fake/seed``, ``POST /_fake/fail``,
and ``GET /_fake/state`` for the comments and the recorded requests.

Every token has an identity (``add_token``): the workflow's token (``github-actions[bot]``, the
default), a GitHub App's installation token (``<slug>[bot]``), or a person's access token. As on
GitHub, comments are posted as the token's identity, GET /user answers a person's token and
refuses an installation token with 403 "Resource not accessible by integration", and any token
may edit any comment (a token with pull-requests: write can): not editing others' is the client's job.

Endpoints (``{repo}`` is ``/repos/<owner>/<name>``):
    GET   /user                               the token's user; 403 for an installation token
    GET   {repo}/issues/<n>/comments          paginated (per_page, page; Link rel=next/last)
    POST  {repo}/issues/<n>/comments          422 over 65,536 characters; authored by the token's identity
    PATCH {repo}/issues/comments/<id>
    GET   {repo}/issues                       state=open|closed|all (open by default), newest first,
                                              paginated; pull requests too, each with a pull_request key
    POST  {repo}/issues                       title (required, at most 256 characters), body; 201
    PATCH {repo}/issues/<n>                   title, body, state (open or closed), state_reason
    GET   {repo}/pulls/<n>                    head: sha, ref and repo.full_name
    GET   {repo}/actions/workflows/<file>/runs  branch, status, event filters; newest first
    GET   {repo}/actions/runs/<id>/artifacts     name filter
    GET   {repo}/actions/artifacts/<id>/zip      302 to /_storage/<id>?sig=...; 410 if expired
    GET   /_storage/<id>                         the zip; 400 if the request carries Authorization
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import re
import secrets
import signal
import stat
import sys
import threading
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

DEFAULT_REPOSITORY = "amal-education/loadtest"
BOT_USER = {"login": "github-actions[bot]", "type": "Bot"}
HUMAN_USER = {"login": "octocat", "type": "User"}
INSTALLATION = "installation"
"""An identity of this kind is an installation token's (the workflow's, an app's): no GET /user."""
WORKFLOW_IDENTITY = {**BOT_USER, "kind": INSTALLATION}
NOT_ACCESSIBLE = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
    "status": "403",
}
DEFAULT_HEAD_BRANCH = "feature"
MAX_BODY_CHARS = 65_536
RUN_FACTS_JSON = '{"preset": "smoke"}'


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def has_authorization(self) -> bool:
        return self.authorization is not None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class FailureRule:
    """Answer the next ``times`` matching requests with a failure instead of the real thing."""

    method: str
    path: str
    """A regular expression searched in the request path."""
    times: int = 1
    status: int = 502
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=lambda: {"message": "Server Error"})
    hang_s: float = 0.0
    """Sleep this long before answering, to trip the client's read timeout."""
    after_apply: bool = False
    """With hang_s: carry out the real request first (e.g. create the comment), then hang."""

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method.upper() and re.search(self.path, path) is not None


class FakeGitHub:
    """In-memory GitHub for one repository, served over HTTP on 127.0.0.1."""

    def __init__(
        self, *, token: str | None = None, repository: str = DEFAULT_REPOSITORY, port: int = 0
    ) -> None:
        self.token = token
        """When set, API calls without ``Bearer <token>`` (or another added token) get 401."""
        self.repository = repository
        self._identities: dict[str, dict[str, str]] = {token: dict(WORKFLOW_IDENTITY)} if token else {}
        self.requests: list[RecordedRequest] = []
        self._port = port
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._ids = itertools.count(1001)
        self._pulls: dict[int, dict[str, Any]] = {}
        self._comments: dict[int, list[dict[str, Any]]] = {}
        self._issues: dict[int, dict[str, Any]] = {}
        self._runs: list[dict[str, Any]] = []
        self._artifacts: dict[int, dict[str, Any]] = {}
        self._zips: dict[int, bytes] = {}
        self._signatures: dict[int, str] = {}
        self._rules: list[FailureRule] = []
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # lifecycle

    def start(self) -> str:
        self._server = make_server(
            "127.0.0.1", self._port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-github", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._release.set()  # wake any hanging handler
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def environ(self, *, token: str | None = None) -> dict[str, str]:
        """GITHUB_* variables pointing a script at this server."""
        return {
            "GITHUB_API_URL": self.url,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_TOKEN": token if token is not None else (self.token or "fake-token"),
        }

    # seeding

    def add_token(self, token: str, *, login: str, kind: str = "user") -> None:
        """Accept ``token`` as ``login``'s: a person's access token (``user``, type User) or an
        installation token (``INSTALLATION``: an app's bot, type Bot, no GET /user)."""
        user_type = "Bot" if kind == INSTALLATION else "User"
        with self._lock:
            self._identities[token] = {"login": login, "type": user_type, "kind": kind}

    def add_pull(
        self,
        number: int,
        *,
        head_sha: str,
        head_repository: str | None = None,
        head_branch: str = DEFAULT_HEAD_BRANCH,
    ) -> None:
        """An open pull request from ``head_repository`` (default: this one) at ``head_branch``."""
        with self._lock:
            self._pulls[number] = {
                "number": number,
                "head_sha": head_sha,
                "head_repository": head_repository or self.repository,
                "head_branch": head_branch,
            }
            self._comments.setdefault(number, [])

    def add_comment(self, pr: int, body: str, *, user: dict[str, str] | None = None) -> dict[str, Any]:
        with self._lock:
            if pr not in self._pulls:
                self.add_pull(pr, head_sha="0" * 40)
            comment = self._new_comment(pr, body, user or HUMAN_USER)
            self._comments[pr].append(comment)
            return comment

    def add_run(
        self,
        *,
        workflow: str = "loadtest.yml",
        branch: str = "main",
        event: str = "push",
        conclusion: str = "success",
        head_sha: str | None = None,
        head_repository: str | None = None,
    ) -> int:
        """A completed workflow run; later runs are newer."""
        with self._lock:
            run_id = next(self._ids)
            self._runs.append(
                {
                    "id": run_id,
                    "path": f".github/workflows/{workflow}",
                    "head_branch": branch,
                    "head_sha": head_sha or secrets.token_hex(20),
                    "event": event,
                    "status": "completed",
                    "conclusion": conclusion,
                    "html_url": f"https://github.com/{self.repository}/actions/runs/{run_id}",
                    "head_repository": {"full_name": head_repository or self.repository},
                }
            )
            return run_id

    def add_artifact(self, run_id: int, name: str, content: bytes, *, expired: bool = False) -> int:
        with self._lock:
            artifact_id = next(self._ids)
            now = datetime.now(UTC)
            self._artifacts[artifact_id] = {
                "id": artifact_id,
                "name": name,
                "size_in_bytes": len(content),
                "expired": expired,
                "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "expires_at": (now + timedelta(days=-1 if expired else 90)).isoformat(timespec="seconds"),
                "workflow_run": {"id": run_id},
            }
            self._zips[artifact_id] = content
            return artifact_id

    def seed(self, data: dict[str, Any]) -> None:
        """Seed from JSON (``--seed`` and ``POST /_fake/seed``)::

        {"pulls": [{"number": 7, "head_sha": "...", "head_repository": "fork/loadtest", "head_branch": "x"}],
         "comments": [{"pr": 7, "body": "...", "bot": false, "count": 1}],
         "runs": [{"branch": "main", "event": "push", "head_sha": "...",
                   "artifacts": [{"name": "loadtest-baseline-smoke", "expired": false,
                                  "files": {"run.json": "{...}"}}]}]}
        """
        for pull in data.get("pulls", []):
            self.add_pull(
                int(pull["number"]),
                head_sha=pull["head_sha"],
                head_repository=pull.get("head_repository"),
                head_branch=pull.get("head_branch", DEFAULT_HEAD_BRANCH),
            )
        for comment in data.get("comments", []):
            for _ in range(int(comment.get("count", 1))):
                user = BOT_USER if comment.get("bot") else HUMAN_USER
                self.add_comment(int(comment["pr"]), comment["body"], user=user)
        for run in data.get("runs", []):
            artifacts = run.pop("artifacts", [])
            run_id = self.add_run(**run)
            for artifact in artifacts:
                content = make_zip(artifact.get("files", {"run.json": RUN_FACTS_JSON}))
                self.add_artifact(run_id, artifact["name"], content, expired=artifact.get("expired", False))

    # failure scripting

    def fail(
        self, method: str, path: str, *, status: int = 502, times: int = 1, **details: Any
    ) -> FailureRule:
        """Answer the next ``times`` requests matching ``method`` and the ``path`` regex with ``status``."""
        rule = FailureRule(method=method.upper(), path=path, status=status, times=times, **details)
        with self._lock:
            self._rules.append(rule)
        return rule

    def rate_limit(
        self,
        method: str,
        path: str,
        *,
        retry_after: int | None = None,
        reset_in: int | None = None,
        status: int = 403,
        times: int = 1,
    ) -> FailureRule:
        """A rate-limit answer: ``retry-after``, or remaining 0 with a reset ``reset_in`` s away."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        if reset_in is not None:
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-reset"] = str(int(datetime.now(UTC).timestamp()) + reset_in)
        body = {"message": "API rate limit exceeded for installation."}
        return self.fail(method, path, status=status, times=times, headers=headers, body=body)

    def hang(
        self, method: str, path: str, *, seconds: float, after_apply: bool = False, times: int = 1
    ) -> FailureRule:
        """Answer after ``seconds``; ``after_apply`` carries the request out first (a write that landed)."""
        return self.fail(method, path, status=504, times=times, hang_s=seconds, after_apply=after_apply)

    # inspection

    def comments(self, pr: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._comments.get(pr, [])]

    def issues(self) -> list[dict[str, Any]]:
        """Every issue (not pull requests), oldest first."""
        with self._lock:
            return [dict(issue) for issue in self._issues.values()]

    def requests_matching(self, method: str, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method.upper() and re.search(path, r.path)]

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "comments": {str(pr): comments for pr, comments in self._comments.items()},
                "issues": list(self._issues.values()),
                "requests": [
                    {**asdict(r), "has_authorization": r.has_authorization, "headers": _redacted(r.headers)}
                    for r in self.requests
                ],
            }

    # the HTTP side

    def _build_app(self) -> Flask:
        app = Flask("fake_github")
        repo = "/repos/<owner>/<name>"

        @app.before_request
        def record_and_fail() -> Any:
            recorded = RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.args),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.get_data(as_text=True),
            )
            if request.path.startswith("/_fake/"):
                return None
            with self._lock:
                self.requests.append(recorded)
                rule = next((r for r in self._rules if r.matches(request.method, request.path)), None)
                if rule is not None:
                    rule.times -= 1
            if rule is not None and not rule.after_apply:
                self._release.wait(rule.hang_s)
                return _answer(rule.status, rule.body, rule.headers)
            if request.path.startswith("/_storage/"):
                return None
            identity = self._identity_of(request.headers.get("authorization", ""))
            if identity is None:
                return _answer(401, {"message": "Bad credentials"})
            request.environ["fake_github.identity"] = identity
            request.environ["fake_github.rule"] = rule
            return None

        @app.after_request
        def hang_after_apply(response: Response) -> Response:
            rule = request.environ.get("fake_github.rule")
            if rule is not None and rule.after_apply:
                self._release.wait(rule.hang_s)
            response.headers.setdefault("x-ratelimit-remaining", "4999")
            return response

        def check_repo(owner: str, name: str) -> None:
            if f"{owner}/{name}" != self.repository:
                raise _NotFound()

        @app.errorhandler(_NotFound)
        def not_found(_: Exception) -> Response:
            return _answer(404, {"message": "Not Found"})

        @app.get("/user")
        def authenticated_user() -> Response:
            identity = request.environ["fake_github.identity"]
            if identity["kind"] == INSTALLATION:
                return _answer(403, NOT_ACCESSIBLE)
            return _answer(200, {"login": identity["login"], "id": 583231, "type": identity["type"]})

        @app.get(f"{repo}/issues/<int:pr>/comments")
        def list_comments(owner: str, name: str, pr: int) -> Response:
            check_repo(owner, name)
            with self._lock:
                if pr not in self._comments:
                    raise _NotFound()
                return _page(list(self._comments[pr]))

        @app.post(f"{repo}/issues/<int:pr>/comments")
        def create_comment(owner: str, name: str, pr: int) -> Response:
            check_repo(owner, name)
            body = _body_field()
            if isinstance(body, Response):
                return body
            with self._lock:
                if pr not in self._comments:
                    raise _NotFound()
                identity = request.environ["fake_github.identity"]
                author = {"login": identity["login"], "type": identity["type"]}
                comment = self._new_comment(pr, body, author)
                self._comments[pr].append(comment)
            return _answer(201, comment)

        @app.patch(f"{repo}/issues/comments/<int:comment_id>")
        def update_comment(owner: str, name: str, comment_id: int) -> Response:
            check_repo(owner, name)
            body = _body_field()
            if isinstance(body, Response):
                return body
            with self._lock:
                for comment in itertools.chain.from_iterable(self._comments.values()):
                    if comment["id"] == comment_id:
                        comment["body"] = body
                        comment["updated_at"] = _now()
                        return _answer(200, comment)
            raise _NotFound()

        @app.get(f"{repo}/issues")
        def list_issues(owner: str, name: str) -> Response:
            check_repo(owner, name)
            state = request.args.get("state", "open")
            if state not in ("open", "closed", "all"):
                return _answer(422, {"message": "Validation Failed"})
            with self._lock:
                pulls = [self._pull_as_issue(number, pull) for number, pull in self._pulls.items()]
                items = [*self._issues.values(), *pulls]
                items = [item for item in items if state == "all" or item["state"] == state]
                return _page(sorted(items, key=lambda item: item["number"], reverse=True))

        @app.post(f"{repo}/issues")
        def create_issue(owner: str, name: str) -> Response:
            check_repo(owner, name)
            fields = _issue_fields(require_title=True)
            if isinstance(fields, Response):
                return fields
            with self._lock:
                number = next(self._ids)
                identity = request.environ["fake_github.identity"]
                issue = {
                    "number": number,
                    "id": number * 10,
                    "title": fields["title"],
                    "body": fields.get("body") or "",
                    "state": "open",
                    "state_reason": None,
                    "user": {"login": identity["login"], "type": identity["type"]},
                    "html_url": f"https://github.com/{self.repository}/issues/{number}",
                    "created_at": _now(),
                    "updated_at": _now(),
                }
                self._issues[number] = issue
            return _answer(201, issue)

        @app.patch(f"{repo}/issues/<int:number>")
        def update_issue(owner: str, name: str, number: int) -> Response:
            check_repo(owner, name)
            fields = _issue_fields(require_title=False)
            if isinstance(fields, Response):
                return fields
            with self._lock:
                issue = self._issues.get(number)
                if issue is None:
                    raise _NotFound()
                issue.update(fields, updated_at=_now())
                if fields.get("state") == "open":
                    issue["state_reason"] = "reopened"
                return _answer(200, issue)

        @app.get(f"{repo}/pulls/<int:pr>")
        def get_pull(owner: str, name: str, pr: int) -> Response:
            check_repo(owner, name)
            with self._lock:
                pull = self._pulls.get(pr)
            if pull is None:
                raise _NotFound()
            head = {
                "sha": pull["head_sha"],
                "ref": pull["head_branch"],
                "repo": {"full_name": pull["head_repository"]},
            }
            return _answer(200, {"number": pr, "state": "open", "head": head})

        @app.get(f"{repo}/actions/workflows/<workflow>/runs")
        def list_runs(owner: str, name: str, workflow: str) -> Response:
            check_repo(owner, name)
            args = request.args
            with self._lock:
                runs = [
                    r
                    for r in reversed(self._runs)
                    if r["path"].endswith(f"/{workflow}")
                    and args.get("branch", r["head_branch"]) == r["head_branch"]
                    and args.get("event", r["event"]) == r["event"]
                    and args.get("status", r["conclusion"]) in (r["conclusion"], r["status"])
                ]
            return _page(runs, key="workflow_runs")

        @app.get(f"{repo}/actions/runs/<int:run_id>/artifacts")
        def list_artifacts(owner: str, name: str, run_id: int) -> Response:
            check_repo(owner, name)
            wanted = request.args.get("name")
            with self._lock:
                artifacts = [
                    a
                    for a in self._artifacts.values()
                    if a["workflow_run"]["id"] == run_id and wanted in (None, a["name"])
                ]
            return _page(artifacts, key="artifacts")

        @app.get(f"{repo}/actions/artifacts/<int:artifact_id>/zip")
        def download_artifact(owner: str, name: str, artifact_id: int) -> Response:
            check_repo(owner, name)
            with self._lock:
                artifact = self._artifacts.get(artifact_id)
                if artifact is None:
                    raise _NotFound()
                if artifact["expired"]:
                    return _answer(410, {"message": "Artifact has expired"})
                signature = self._signatures[artifact_id] = secrets.token_urlsafe(16)
            response = Response(status=302)
            response.headers["location"] = f"{request.host_url}_storage/{artifact_id}?sig={signature}"
            return response

        @app.get("/_storage/<int:artifact_id>")
        def storage(artifact_id: int) -> Response:
            # like a signed blob URL: a second credential is an error, as on real storage hosts
            if "authorization" in request.headers:
                return _answer(
                    400, {"message": "storage: the request must not carry an Authorization header"}
                )
            with self._lock:
                if request.args.get("sig") != self._signatures.get(artifact_id):
                    return _answer(403, {"message": "storage: bad signature"})
                content = self._zips[artifact_id]
            return Response(content, mimetype="application/zip")

        @app.get("/_fake/state")
        def fake_state() -> Response:
            return _answer(200, self.state())

        @app.post("/_fake/seed")
        def fake_seed() -> Response:
            self.seed(request.get_json(force=True))
            return _answer(200, {"ok": True})

        @app.post("/_fake/fail")
        def fake_fail() -> Response:
            spec = dict(request.get_json(force=True))
            self.fail(spec.pop("method"), spec.pop("path"), **spec)
            return _answer(200, {"ok": True})

        return app

    def _identity_of(self, authorization: str) -> dict[str, str] | None:
        """The identity of the request's token; without configured tokens, any is the workflow's."""
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            if not self._identities:
                return dict(WORKFLOW_IDENTITY)
            return self._identities.get(token) if scheme in ("Bearer", "token") else None

    def _pull_as_issue(self, number: int, pull: dict[str, Any]) -> dict[str, Any]:
        """A pull request as GET /issues lists it: an issue with a pull_request key."""
        return {
            "number": number,
            "title": f"pull request {number}",
            "body": "",
            "state": "open",
            "user": {"login": "someone", "type": "User"},
            "pull_request": {"url": f"{self.url}/repos/{self.repository}/pulls/{number}"},
        }

    def _new_comment(self, pr: int, body: str, user: dict[str, str]) -> dict[str, Any]:
        comment_id = next(self._ids)
        return {
            "id": comment_id,
            "body": body,
            "user": dict(user),
            "html_url": f"https://github.com/{self.repository}/pull/{pr}#issuecomment-{comment_id}",
            "created_at": _now(),
            "updated_at": _now(),
        }


class _NotFound(Exception):
    pass


class _QuietHandler(WSGIRequestHandler):
    """No access log: the recorded requests say it all, and the act rehearsal's output stays readable."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _body_field() -> str | Response:
    data = request.get_json(silent=True)
    body = data.get("body") if isinstance(data, dict) else None
    if not isinstance(body, str):
        return _answer(422, {"message": "Invalid request: body is required"})
    if len(body) > MAX_BODY_CHARS:
        error = {"field": "body", "message": "body is too long (maximum is 65536 characters)"}
        return _answer(422, {"message": "Validation Failed", "errors": [error]})
    return body


def _issue_fields(*, require_title: bool) -> dict[str, Any] | Response:
    """The writable fields of an issue, checked as GitHub checks them."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _answer(400, {"message": "Problems parsing JSON"})
    fields = {key: data[key] for key in ("title", "body", "state", "state_reason") if key in data}
    title = fields.get("title")
    if (require_title or "title" in fields) and (not isinstance(title, str) or not title.strip()):
        return _answer(
            422, {"message": "Validation Failed", "errors": [{"field": "title", "code": "missing_field"}]}
        )
    if isinstance(title, str) and len(title) > 256:
        error = {"field": "title", "message": "title is too long (maximum is 256 characters)"}
        return _answer(422, {"message": "Validation Failed", "errors": [error]})
    if "body" in fields and (not isinstance(fields["body"], str) or len(fields["body"]) > MAX_BODY_CHARS):
        return _answer(422, {"message": "Validation Failed", "errors": [{"field": "body"}]})
    if fields.get("state", "open") not in ("open", "closed"):
        return _answer(422, {"message": "Validation Failed", "errors": [{"field": "state"}]})
    return fields


def _page(items: list[dict[str, Any]], *, key: str | None = None) -> Response:
    """One page of ``items`` as GitHub pages them: per_page (max 100), page, Link rel=next/last."""
    per_page = min(max(int(request.args.get("per_page", 30)), 1), 100)
    page = max(int(request.args.get("page", 1)), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    response = _answer(200, {"total_count": len(items), key: chunk} if key else chunk)
    links = []
    base_args = {k: v for k, v in request.args.items() if k != "page"}
    query = "&".join(f"{k}={v}" for k, v in {**base_args, "per_page": per_page}.items())
    if page < last:
        links.append(f'<{request.base_url}?{query}&page={page + 1}>; rel="next"')
    links.append(f'<{request.base_url}?{query}&page={last}>; rel="last"')
    response.headers["link"] = ", ".join(links)
    return response


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _redacted(headers: dict[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k == "authorization" else v) for k, v in headers.items()}


# zips for the tests


def make_zip(files: dict[str, str | bytes]) -> bytes:
    """A zip of ``name -> content``, names taken as given (so ``../x`` stays ``../x``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name), content)
    return buffer.getvalue()


def make_bundle_zip(**extra: str | bytes) -> bytes:
    """A small results bundle as upload-artifact would zip it."""
    return make_zip({"run.json": RUN_FACTS_JSON, "locust_stats.csv": "Type,Name\n", **extra})


def make_zip_bomb(uncompressed_bytes: int = 64 * 1024 * 1024) -> bytes:
    """One entry of zeros: a few hundred KiB that claim tens of MiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("run.json")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(uncompressed_bytes // len(block)):
                entry.write(block)
    return buffer.getvalue()


def make_symlink_zip(target: str = "/etc/passwd") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("run.json")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake GitHub REST API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--token", help="require this token (default: accept any)")
    parser.add_argument("--repository", default=DEFAULT_REPOSITORY)
    parser.add_argument("--seed", help="JSON file to seed from (see FakeGitHub.seed)")
    args = parser.parse_args(argv)
    github = FakeGitHub(token=args.token, repository=args.repository, port=args.port)
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            github.seed(json.load(handle))
    github.start()
    print(github.url, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    github.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
