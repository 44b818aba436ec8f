"""The Locust command line: a preset goes as --config FILE, and only what the plan changes goes again."""

from pathlib import Path

from loadtest import locustfiles
from loadtest.cli.run_options import build_parser, plan_from_args
from loadtest.run import Overrides, plan_run
from loadtest.run.locust import locust_command
from loadtest.run.plan import LOCUSTFILE, BaseSide, RunPlan
from loadtest.settings import Settings

HOST = "http://127.0.0.1:8000"


def command(preset: str | None, overrides: Overrides | None = None, **options) -> list[str]:
    plan = plan_run(preset, overrides or Overrides(), host=None, out=Path("/nonexistent/bundle"), **options)
    return locust_command(plan, HOST)


def flag(cmd: list[str], name: str) -> str | None:
    return cmd[cmd.index(name) + 1] if name in cmd else None


def test_a_preset_goes_as_its_config_file_and_is_not_repeated():
    cmd = command("smoke")

    assert flag(cmd, "--config").endswith("loadtest/presets/smoke.conf")
    for said_by_the_preset in (
        "--headless",
        "--users",
        "--spawn-rate",
        "--run-time",
        "--wait-min",
        "--processes",
    ):
        assert said_by_the_preset not in cmd
    assert flag(cmd, "--host") == HOST and flag(cmd, "--csv") == "/nonexistent/bundle/locust"


def test_the_locustfile_is_the_packages_own_and_a_presets_other_files_follow_it():
    # Always given: a preset's ``locustfile = locustfile.py`` would otherwise be read from Locust's folder,
    # where a non-editable install has none.
    assert flag(command("smoke"), "-f") == str(LOCUSTFILE)
    locustfile, shape = flag(command("spike"), "-f").split(",")
    assert locustfile == str(LOCUSTFILE) and Path(shape).name == "spike_shape.py"
    assert Path(locustfile).is_file() and Path(shape).is_file()
    assert LOCUSTFILE.parent == Path(locustfiles.__file__).parent


def test_what_the_plan_overrides_goes_on_the_command_line():
    cmd = command("smoke", Overrides(users=3, run_time_s=10, wait_min_s=0.5, workers=2))

    assert (flag(cmd, "--users"), flag(cmd, "--run-time"), flag(cmd, "--wait-min")) == ("3", "10s", "0.5")
    assert flag(cmd, "--processes") == "2"
    assert "--wait-max" not in cmd and "--spawn-rate" not in cmd


def test_forked_workers_meet_their_master_on_a_loopback_port_of_the_runs_own():
    plan = plan_run("smoke", Overrides(workers=2), host=None, out=Path("/nonexistent/bundle"))

    cmd = locust_command(plan, HOST, local_master_port=40123)

    assert (flag(cmd, "--master-bind-host"), flag(cmd, "--master-bind-port")) == ("127.0.0.1", "40123")
    assert flag(cmd, "--master-port") == "40123"
    single = plan_run("smoke", host=None, out=Path("/nonexistent/bundle"))
    assert "--master-bind-port" not in locust_command(single, HOST, local_master_port=40123)


def test_a_custom_run_gives_the_locustfile_and_every_value():
    cmd = command(None, Overrides(users=5, run_time_s=30))

    assert flag(cmd, "-f") == str(LOCUSTFILE) and "--config" not in cmd and "--headless" in cmd
    assert (flag(cmd, "--users"), flag(cmd, "--spawn-rate"), flag(cmd, "--run-time")) == ("5", "5", "30s")
    assert (flag(cmd, "--wait-min"), flag(cmd, "--wait-max")) == ("1", "3")


def test_our_locustfile_gets_the_status_interval_and_the_stop_conditions_of_thresholds_json():
    plan = plan_run("smoke", host=None, out=Path("/nonexistent/bundle"), stop={"failure_ratio": 0.2})

    cmd = locust_command(plan, HOST, status_every_s=2)

    assert flag(cmd, "--progress-interval") == "2" and flag(cmd, "--stop-failure-ratio") == "0.2"
    assert "--stop-no-success" not in cmd  # the preset's key, else the load test's default


def test_a_master_of_remote_workers_never_forks_local_ones():
    cmd = command("smoke", Overrides(workers=3), expect_workers=3)

    assert flag(cmd, "--expect-workers") == "3" and "--master" in cmd and "--processes" not in cmd


def test_a_measured_run_writes_no_bundle_and_keeps_its_users_waits():
    plan = RunPlan(
        preset="benchmark",
        locustfile=Path("bare.py"),
        user_classes=("BareUser",),
        users=4,
        spawn_rate=4,
        run_time_s=9,
        wait_s=None,
        host=HOST,
        out=None,
        stop_timeout_s=1,
    )
    cmd = locust_command(plan, HOST)

    assert cmd[cmd.index("-f") : cmd.index("-f") + 3] == ["-f", "bare.py", "BareUser"]
    assert locust_command(plan, HOST, status_every_s=2) == cmd  # its options are not ours
    assert "--csv" not in cmd and "--html" not in cmd and "--wait-min" not in cmd
    assert flag(cmd, "--stop-timeout") == "1"


def test_a_callers_preset_goes_as_its_own_file_and_the_bundle_as_an_absolute_folder(tmp_path, monkeypatch):
    # The action runs in the caller's workspace while Locust starts in the action's folder: every path
    # Locust is given must be absolute, or the bundle would be split between the two.
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "tiny.conf").write_text("# tiny?\nusers = 2\nrun-time = 20s\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["--preset", "tiny", "--presets-dir", "presets", "--out", "results"])

    cmd = locust_command(plan_from_args(args, environ={}), HOST)

    assert flag(cmd, "--config") == str(tmp_path / "presets" / "tiny.conf")
    assert flag(cmd, "--csv") == str(tmp_path / "results" / "locust")


def test_the_presets_folder_may_come_from_the_setting(tmp_path):
    (tmp_path / "tiny.conf").write_text("# tiny?\nusers = 2\nrun-time = 20s\n", encoding="utf-8")
    args = build_parser().parse_args(["--preset", "tiny", "--presets-dir", "", "--out", str(tmp_path / "o")])

    plan = plan_from_args(args, environ={"LOADTEST_PRESETS_DIR": str(tmp_path)})

    assert plan.preset == "tiny" and plan.users == 2


def test_a_run_with_a_base_takes_the_presets_base_run_time_and_a_given_run_time_wins(tmp_path):
    (tmp_path / "tiny.conf").write_text("# tiny?\nusers = 2\nrun-time = 20s\nbase-run-time = 40s\n", "utf-8")
    settings = Settings(presets_dir=tmp_path)
    base = BaseSide(host="http://127.0.0.1:8001")

    alone = command("tiny", settings=settings)
    with_base = command("tiny", settings=settings, base=base)
    told = command("tiny", Overrides(run_time_s=30), settings=settings, base=base)

    assert [flag(cmd, "--run-time") for cmd in (alone, with_base, told)] == [None, "40s", "30s"]


def test_a_preset_without_a_base_run_time_runs_as_long_with_a_base():
    assert flag(command("quick", base=BaseSide(host="http://127.0.0.1:8001")), "--run-time") is None
