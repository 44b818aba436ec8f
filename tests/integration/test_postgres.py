"""The tests' PostgreSQL server (tools/postgres.py): it serves, and nothing of it outlives its owner."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, child_environ
from tests.example_api import TEMPLATE, running_example_api
from tools.postgres import PostgresCluster

pytestmark = pytest.mark.slow

GONE_WITHIN_S = 30
"""A fast shutdown takes well under a second; only a server that ignored its stop takes this long."""


def server_processes(cluster: PostgresCluster) -> list[psutil.Process]:
    """The postmaster and its children (checkpointer, writers, a backend per connection)."""
    postmaster = psutil.Process(cluster.process.pid)
    return [postmaster, *postmaster.children(recursive=True)]


def test_the_server_runs_unprivileged_and_serves_a_database_it_creates(postgres) -> None:
    if os.geteuid() == 0:
        assert psutil.Process(postgres.process.pid).username() == "postgres"
    name = postgres.create_database("fixture_check")
    try:
        with postgres.connect(name) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        postgres.drop_database(name)
    assert name not in postgres.databases()


def test_a_block_that_fails_stops_the_server_and_removes_its_folder() -> None:
    with pytest.raises(RuntimeError, match="the test failed"), PostgresCluster.started() as cluster:
        processes, root = server_processes(cluster), cluster.root
        assert len(processes) > 1 and root.is_dir()
        raise RuntimeError("the test failed")
    _, alive = psutil.wait_procs(processes, timeout=GONE_WITHIN_S)
    assert alive == []
    assert not root.exists()


OWNER = """
import sys, time
from tools.postgres import PostgresCluster
with PostgresCluster.started() as cluster:
    print(cluster.process.pid, cluster.root, flush=True)
    time.sleep(600)
"""


def test_a_server_whose_test_process_is_killed_stops_by_itself() -> None:
    """SIGKILL leaves no chance to clean up: the parent-death signal stops the server."""
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], cwd=ROOT, env=child_environ(), stdout=subprocess.PIPE, text=True
    )
    root = None
    try:
        pid, root = owner.stdout.readline().split()
        postmaster = psutil.Process(int(pid))
        processes = [postmaster, *postmaster.children(recursive=True)]
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=GONE_WITHIN_S)
        _, alive = psutil.wait_procs(processes, timeout=GONE_WITHIN_S)
        assert alive == []
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        owner.stdout.close()
        if root:
            shutil.rmtree(Path(root), ignore_errors=True)


def test_an_example_api_leaves_no_database_behind(postgres) -> None:
    before = postgres.databases() - {TEMPLATE}
    with running_example_api(postgres, "a-key-for-this-test"):
        during = postgres.databases() - {TEMPLATE}
    assert len(during - before) == 1
    assert postgres.databases() - {TEMPLATE} == before
