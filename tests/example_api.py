"""The example API (examples/api-repository) served by gunicorn for tests, on a database of its own.

``with running_example_api(postgres, KEY) as base_url: ...`` gives a server on a fresh copy of the
seeded database in the tests' PostgreSQL cluster (tools/postgres.py); the server's processes and the
database go when the block ends. The first server of a cluster migrates and seeds a template database
once; each server then starts from a copy of it (CREATE DATABASE ... TEMPLATE takes a tenth of a second,
migrate and seed two and a half).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.conftest import ROOT, child_environ
from tools.postgres import PostgresCluster

EXAMPLE = ROOT / "examples" / "api-repository"
"""The example API's repository: manage.py, gunicorn.conf.py, requirements.txt, its workflows."""
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+) ")
"""gunicorn's line once its socket is bound; port 0 in --bind makes it pick a free one itself."""
TEMPLATE = "example_api_template"
STARTUP_TIMEOUT_S = 60
"""Only a hang reaches it."""
_templates: set[Path] = set()
"""The clusters (by data folder) that hold the migrated and seeded template database."""


def manage(cluster: PostgresCluster, database: str, *args: str, env: dict[str, str] | None = None) -> str:
    """``python manage.py ARGS`` in the example against ``database``; its output, or an error with it."""
    environ = child_environ({**cluster.environ(database), **(env or {})})
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=EXAMPLE, env=environ, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} exited {done.returncode}: {done.stderr[-3000:]}")
    return done.stdout


def seeded_database(cluster: PostgresCluster, api_key: str, account: dict[str, str] | None = None) -> str:
    """A new database with the example's schema and content, the key ``api_key`` and ``account``
    (email and password), if given."""
    if cluster.root not in _templates:
        cluster.drop_database(TEMPLATE)
        cluster.create_database(TEMPLATE)
        manage(cluster, TEMPLATE, "migrate", "--no-input", "-v", "0")
        manage(cluster, TEMPLATE, "seed", env={"LOADTEST_API_KEY": "template-placeholder"})
        _templates.add(cluster.root)
    name = cluster.create_database(f"example_api_{uuid.uuid4().hex[:12]}", template=TEMPLATE)
    secrets = {"LOADTEST_API_KEY": api_key}
    if account:
        secrets |= {"LOADTEST_EMAIL": account["email"], "LOADTEST_PASSWORD": account["password"]}
    manage(cluster, name, "seed", env=secrets)
    return name


@contextmanager
def running_example_api(
    cluster: PostgresCluster,
    api_key: str,
    *,
    access_lifetime: float = 300,
    account: dict[str, str] | None = None,
) -> Iterator[str]:
    """gunicorn serving the example on 127.0.0.1 until the block ends; yields its base URL."""
    database = seeded_database(cluster, api_key, account)
    env = child_environ({**cluster.environ(database), "ACCESS_TOKEN_LIFETIME_SECONDS": repr(access_lifetime)})
    try:
        with tempfile.NamedTemporaryFile(prefix="example-api-", suffix=".log") as log:
            # Its own process group, so the stop reaches the workers too.
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0"], cwd=EXAMPLE, env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                yield _wait_until_listening(process, Path(log.name))
            finally:
                stop_group(process)
    finally:
        cluster.drop_database(database)


def _wait_until_listening(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        ended = process.poll() is not None  # before reading: a line written before the exit is in
        text = log.read_text(errors="replace")
        if match := LISTENING.search(text):
            return match.group(1)
        if ended or time.monotonic() > deadline:
            raise RuntimeError(
                f"gunicorn did not start (exit {process.returncode}); its log ends:\n{text[-3000:]}"
            )
        time.sleep(0.05)


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (gunicorn stops its workers), SIGKILL to what is left after 10 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
