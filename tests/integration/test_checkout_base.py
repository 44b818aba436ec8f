"""``loadtest checkout-base``: the base commit fetched with the token in git's environment only.

The origin is a real git smart-HTTP server on loopback (``git http-backend`` behind a small HTTP
server) that, like a private repository, serves nothing without an Authorization header and records
every header it gets; the head's clone is shallow and lacks the base commit, as actions/checkout's
default (fetch-depth 1) leaves it.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from loadtest.exitcodes import ExitCode
from loadtest.github.base_checkout import Credentials
from tests.conftest import run_command

pytestmark = pytest.mark.slow

TOKEN = "ghs_0123456789abcdefSECRET"
BASIC = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()


class GitServer(ThreadingHTTPServer):
    """git's smart HTTP protocol over the bare repositories in ``root``; 401 without Authorization."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), GitHandler)
        self.root = root
        self.authorizations: list[list[str]] = []
        """The Authorization headers of each request, in order."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class GitHandler(BaseHTTPRequestHandler):
    server: GitServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        sent = self.headers.get_all("Authorization") or []
        self.server.authorizations.append(sent)
        if not sent:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        cgi = {
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
            "PATH": "/usr/bin:/bin",
        }
        done = subprocess.run(["git", "http-backend"], input=body, env=cgi, capture_output=True, check=False)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        headers = [line.split(":", 1) for line in head.decode().split("\r\n") if ":" in line]
        status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "status":
                self.send_header(key, value.strip())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads the recorded headers."""


def git(folder: Path, *args: str) -> str:
    command = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@localhost", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[tuple[GitServer, str, str]]:
    """The origin on loopback: a bare repository with a base commit and the pull request's head on it;
    the server, the base's and the head's commits."""
    work, root = tmp_path / "work", tmp_path / "served"
    work.mkdir()
    root.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "app.py").write_text("base\n")
    git(work, "add", "app.py")
    git(work, "commit", "-qm", "base")
    base = git(work, "rev-parse", "HEAD")
    (work / "app.py").write_text("head\n")
    git(work, "commit", "-qam", "head")
    head = git(work, "rev-parse", "HEAD")
    git(work, "clone", "-q", "--bare", str(work), str(root / "api.git"))
    server = GitServer(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, base, head
    finally:
        server.shutdown()
        server.server_close()


def shallow_clone(tmp_path: Path, server: GitServer) -> Path:
    """The head's clone as actions/checkout leaves it: depth 1, then origin on the loopback server."""
    clone = tmp_path / "head"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{server.root / 'api.git'}", str(clone)], check=True
    )
    git(clone, "remote", "set-url", "origin", f"{server.url}/api.git")
    return clone


def checkout_base(clone: Path, commit: str, folder: Path, env: dict[str, str | None]):
    command = ["checkout-base", "--commit", commit, "--dir", folder, "--repo", clone]
    return run_command(sys.executable, "-m", "loadtest", *command, env=env)


def test_a_base_missing_from_a_shallow_clone_is_fetched_with_the_token_in_git_s_environment_only(
    origin, tmp_path
):
    server, base, _ = origin
    clone = shallow_clone(tmp_path, server)
    # A header the checkout persisted (a stale token): reset for the fetch, so git sends ours alone.
    git(clone, "config", f"http.{server.url}/.extraheader", "AUTHORIZATION: basic c3RhbGU=")
    assert subprocess.run(["git", "-C", str(clone), "cat-file", "-e", f"{base}^{{commit}}"]).returncode != 0

    env = {"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": TOKEN, "GITHUB_SERVER_URL": server.url}

    done = checkout_base(clone, base, tmp_path / "base", env)

    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    assert git(tmp_path / "base", "rev-parse", "HEAD") == base
    assert (tmp_path / "base" / "app.py").read_text() == "base\n"
    assert server.authorizations and all(sent == [f"basic {BASIC}"] for sent in server.authorizations)
    # Masked before git ran; nowhere else in the output; never in the clone's configuration.
    lines = done.stdout.splitlines()
    assert lines[:2] == [f"::add-mask::{TOKEN}", f"::add-mask::{BASIC}"]
    rest = "\n".join(lines[2:]) + done.stderr
    assert TOKEN not in rest and BASIC not in rest
    config = (clone / ".git" / "config").read_text()
    assert TOKEN not in config and BASIC not in config


def test_without_the_token_the_private_origin_refuses_the_fetch_with_one_clear_error(origin, tmp_path):
    server, base, _ = origin
    clone = shallow_clone(tmp_path, server)

    done = checkout_base(
        clone, base, tmp_path / "base", {"GITHUB_TOKEN": None, "GITHUB_SERVER_URL": server.url}
    )

    assert done.returncode == ExitCode.NOT_MEASURED, done.stdout + done.stderr
    [error] = done.stderr.strip().splitlines()
    assert error.startswith(f"loadtest checkout-base: error: git fetch in {clone} failed (exit status 128)")
    assert server.authorizations[0] == [] and not (tmp_path / "base").exists()


def test_a_base_already_in_the_clone_is_not_fetched(origin, tmp_path):
    server, base, _ = origin
    clone = tmp_path / "full"
    subprocess.run(["git", "clone", "-q", f"file://{server.root / 'api.git'}", str(clone)], check=True)
    git(clone, "remote", "set-url", "origin", f"{server.url}/api.git")

    done = checkout_base(
        clone, base, tmp_path / "base", {"GITHUB_TOKEN": TOKEN, "GITHUB_SERVER_URL": server.url}
    )

    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    assert f"the base commit {base} is already in the clone: not fetched" in done.stdout
    assert server.authorizations == []
    assert git(tmp_path / "base", "rev-parse", "HEAD") == base


def test_a_commit_that_is_not_a_full_id_is_refused_before_git_runs(tmp_path):
    done = checkout_base(tmp_path, "main; rm -rf /", tmp_path / "base", {"GITHUB_TOKEN": TOKEN})
    assert done.returncode == ExitCode.USAGE
    assert "--commit must be a full commit id" in done.stderr and TOKEN not in done.stdout + done.stderr


def test_the_header_is_added_after_the_git_config_entries_already_in_the_environment():
    credentials = Credentials("https://github.example", TOKEN)
    environ = credentials.git_environ(
        {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.x", "GIT_CONFIG_VALUE_0": "y"}
    )
    key = "http.https://github.example/.extraheader"
    assert environ["GIT_CONFIG_COUNT"] == "3" and environ["GIT_CONFIG_KEY_0"] == "core.x"
    assert (environ["GIT_CONFIG_KEY_1"], environ["GIT_CONFIG_VALUE_1"]) == (key, "")
    assert (environ["GIT_CONFIG_KEY_2"], environ["GIT_CONFIG_VALUE_2"]) == (
        key,
        f"AUTHORIZATION: basic {BASIC}",
    )
    assert TOKEN not in repr(credentials)


def test_a_repo_that_is_not_a_folder_is_one_usage_error_not_a_traceback(tmp_path):
    done = checkout_base(tmp_path / "missing", "a" * 40, tmp_path / "base", {"GITHUB_TOKEN": TOKEN})
    assert done.returncode == ExitCode.USAGE, done.stdout + done.stderr
    [error] = done.stderr.strip().splitlines()
    assert error.startswith("loadtest checkout-base: error: --repo") and "missing" in error
    assert TOKEN not in done.stdout + done.stderr


def test_a_bogus_git_config_count_is_one_clear_error_not_a_traceback(origin, tmp_path):
    server, base, _ = origin
    clone = shallow_clone(tmp_path, server)
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_SERVER_URL": server.url, "GIT_CONFIG_COUNT": "x"}

    done = checkout_base(clone, base, tmp_path / "base", env)

    assert done.returncode == ExitCode.NOT_MEASURED, done.stdout + done.stderr
    [error] = done.stderr.strip().splitlines()
    assert error.startswith("loadtest checkout-base: error: GIT_CONFIG_COUNT") and "'x'" in error
    assert server.authorizations == [] and not (tmp_path / "base").exists()


def test_outside_github_actions_the_token_is_never_printed_not_even_to_mask_it(origin, tmp_path):
    """``::add-mask::TOKEN`` hides the token in a workflow's log; anywhere else (a terminal, another
    CI's log) it is the token in plain text."""
    server, base, _ = origin
    clone = shallow_clone(tmp_path, server)

    done = checkout_base(
        clone, base, tmp_path / "base", {"GITHUB_TOKEN": TOKEN, "GITHUB_SERVER_URL": server.url}
    )

    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    assert server.authorizations and all(sent == [f"basic {BASIC}"] for sent in server.authorizations)
    assert TOKEN not in done.stdout + done.stderr and BASIC not in done.stdout + done.stderr
    assert "::add-mask::" not in done.stdout


def test_a_relative_dir_is_the_current_folder_s_not_the_repo_s(origin, tmp_path):
    server, base, _ = origin
    clone = tmp_path / "full"
    subprocess.run(["git", "clone", "-q", f"file://{server.root / 'api.git'}", str(clone)], check=True)
    command = ["checkout-base", "--commit", base, "--dir", "base", "--repo", clone]

    done = run_command(sys.executable, "-m", "loadtest", *command, env={"GITHUB_TOKEN": None}, cwd=tmp_path)

    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    assert git(tmp_path / "base", "rev-parse", "HEAD") == base and not (clone / "base").exists()
