"""Reading the master's log for workers lost mid-run, and the worker command line."""

import pytest

from loadtest.workers import LostWorkerWatch, check_master_host, worker_command

LOG = "[2026-01-01 10:00:{:02d},000] vm/INFO/locust.runners: "
READY = LOG.format(1) + "vm_aaa (index 0) reported as ready. 1 workers connected."
READY_B = LOG.format(1) + "vm_bbb (index 1) reported as ready. 2 workers connected."
MISSING = LOG.format(9) + "Worker vm_bbb failed to send heartbeat, setting state to missing."
QUIT = LOG.format(5) + "Worker 'vm_aaa' (index 0) quit. 1 workers ready."
HEALED = LOG.format(10) + "Worker vm_bbb self-healed with heartbeat, setting state to ready."
RUN_OVER = "[2026-01-01 10:00:20,000] vm/INFO/locust.main: --run-time limit reached, shutting down"


def watched(*lines: str) -> LostWorkerWatch:
    watch = LostWorkerWatch()
    for line in lines:
        watch.observe(line + "\n")
    return watch


def test_a_missing_heartbeat_names_the_worker_its_index_and_when():
    watch = watched(READY, READY_B, MISSING, RUN_OVER)
    assert watch.as_json() == [
        {"id": "vm_bbb", "index": 1, "how": "stopped sending heartbeats", "at": "2026-01-01 10:00:09,000"}
    ]
    (warning,) = watch.warnings()
    assert warning.startswith("run_tests: warning: lost worker vm_bbb (index 1) stopped sending heartbeats")


def test_a_worker_that_quits_mid_run_is_lost():
    assert [w.how for w in watched(READY, READY_B, QUIT, RUN_OVER).lost] == ["quit"]


def test_workers_quitting_after_the_run_is_over_are_not_lost():
    assert watched(READY, READY_B, RUN_OVER, QUIT).lost == []


def test_a_local_worker_leaving_at_the_end_is_not_lost():
    end = "[2026-01-01 10:00:20,000] vm/INFO/locust.runners: Got quit message from master, shutting down..."
    assert watched(READY, end, QUIT).lost == []


def test_a_worker_that_heals_is_no_longer_lost():
    assert watched(READY, READY_B, MISSING, HEALED).lost == []


def test_a_worker_is_reported_once():
    assert len(watched(READY_B, MISSING, MISSING).lost) == 1


@pytest.mark.parametrize("host", ["10.0.0.5", "locust-master", "master.internal.example", "::1"])
def test_master_hosts_accepted(host):
    assert check_master_host(host) == host


@pytest.mark.parametrize("host", ["http://10.0.0.5", "10.0.0.5:5557", "a b", ""])
def test_master_hosts_refused(host):
    with pytest.raises(ValueError, match="--master-host"):
        check_master_host(host)


def test_the_worker_command_connects_to_the_master():
    cmd = worker_command(
        master_host="10.0.0.5", master_port=5557, locustfile="locustfile.py", processes=4, seed=3
    )
    assert cmd[1:] == [
        "-m", "locust", "-f", "locustfile.py", "--worker", "--master-host", "10.0.0.5",
        "--master-port", "5557", "--processes", "4", "--seed", "3",
    ]  # fmt: skip
