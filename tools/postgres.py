"""A throw-away PostgreSQL server, the tests' and the research's own (the example API's database in
tests/ and in ``python -m tools example-trials``): Debian's ``postgresql``, in a temporary data directory.

``with PostgresCluster.started() as cluster:`` runs initdb and the server on 127.0.0.1 (a free port),
creates and drops databases, and stops the server on every ending: when the block ends however it ends,
and, should the test process die without unwinding, by the parent-death signal the server is started
with. PostgreSQL refuses to run as root: as root, the server runs as the unprivileged ``postgres`` user
(Debian's package creates it), with its data and socket directories owned by that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

HOST = "127.0.0.1"
SUPERUSER = "postgres"
"""The cluster's superuser (initdb -U); trust authentication on loopback, as a throw-away test server."""
SYSTEM_USER = "postgres"
"""The account the server runs as when the tests run as root."""
START_TIMEOUT_S = 60
"""Only a hang reaches it: the server answers within a few seconds even on a busy machine."""
STOP_TIMEOUT_S = 30
PORT_ATTEMPTS = 5
"""A free port can be taken by another process between the pick and the server's bind: try again."""


class PostgresError(RuntimeError):
    """The server could not be set up or started; the message carries the end of its log."""


def binary(name: str) -> str:
    """A PostgreSQL server program: Debian keeps them in /usr/lib/postgresql/<version>/bin, off PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_of) or [shutil.which(name)]
    if not found[-1]:
        raise PostgresError(f"{name} not found: install Debian's postgresql package (.ci/run does)")
    return found[-1]


def _version_of(path: str) -> tuple[int, ...]:
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running server: where it listens, and what it is (for the tests that count what is left)."""

    root: Path
    port: int
    process: subprocess.Popen

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def environ(self, database: str) -> dict[str, str]:
        """The libpq variables that point a client (the example API, psql) at ``database`` here."""
        return {"PGHOST": HOST, "PGPORT": str(self.port), "PGUSER": SUPERUSER, "PGDATABASE": database}

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=HOST, port=self.port, user=SUPERUSER, dbname=database, autocommit=True, connect_timeout=10
        )

    def create_database(self, name: str, *, template: str | None = None) -> str:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.connect() as server:
            server.execute(query)
        return name

    def drop_database(self, name: str) -> None:
        """Drops ``name`` even while a client (a server killed mid-test) still holds a connection."""
        with self.connect() as server:
            server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def databases(self) -> set[str]:
        with self.connect() as server:
            rows = server.execute("SELECT datname FROM pg_database WHERE NOT datistemplate").fetchall()
        return {name for (name,) in rows} - {"postgres"}

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[PostgresCluster]:
        root = Path(tempfile.mkdtemp(prefix="loadtest-postgres-"))
        try:
            _own(root)
            _as_server_user([binary("initdb"), "-D", root / "data", "-U", SUPERUSER, "--auth=trust",
                             "--no-sync", "--encoding=UTF8", "--locale=C"])  # fmt: skip
            (root / "socket").mkdir()
            _own(root / "socket")
            cluster = _start(root)
            try:
                yield cluster
            finally:
                cluster.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def stop(self) -> None:
        """Fast shutdown (clients cut off), then immediate, then a kill: never left running."""
        for stop, wait in ((signal.SIGINT, STOP_TIMEOUT_S), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                return
            self.process.send_signal(stop)
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue


def _start(root: Path) -> PostgresCluster:
    log = root / "postgres.log"
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        with open(log, "ab") as output:
            process = subprocess.Popen(
                _server_user_prefix("SIGINT") + [binary("postgres"), "-D", str(root / "data"),
                "-h", HOST, "-p", str(port), "-k", str(root / "socket"),
                # A test server: durability buys nothing and costs every write an fsync.
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        cluster = PostgresCluster(root, port, process)
        if _wait_until_ready(cluster):
            return cluster
        cluster.stop()
        if "could not bind" not in log.read_text(errors="replace"):
            break
    raise PostgresError(f"PostgreSQL did not start; its log ends:\n{log.read_text(errors='replace')[-3000:]}")


def _wait_until_ready(cluster: PostgresCluster) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while cluster.process.poll() is None and time.monotonic() < deadline:
        try:
            cluster.connect().close()
            return True
        except psycopg.OperationalError:
            time.sleep(0.1)
    return False


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _own(path: Path) -> None:
    if _running_as_root():
        account = pwd.getpwnam(SYSTEM_USER)
        os.chown(path, account.pw_uid, account.pw_gid)


def _server_user_prefix(parent_death_signal: str | None = None) -> list[str]:
    """setpriv, as root: it changes user and then execs, so the server is this process's own child, and
    it sets the parent-death signal after the change of user (a change of user clears an earlier one)."""
    if not _running_as_root():
        return []
    prefix = ["setpriv", f"--reuid={SYSTEM_USER}", f"--regid={SYSTEM_USER}", "--init-groups"]
    return prefix + ([f"--pdeathsig={parent_death_signal}"] if parent_death_signal else [])


def _as_server_user(command: list[str | Path]) -> None:
    done = subprocess.run(
        _server_user_prefix() + [str(part) for part in command],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise PostgresError(f"{Path(str(command[0])).name} failed ({done.returncode}): {done.stderr[-2000:]}")
