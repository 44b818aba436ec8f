"""Every command that writes refuses an output path it cannot use before doing anything: exit 2, one line.

A folder given as a file, a file given as a folder, a path inside a file. A folder it may not write in
needs a process without root's permission override: tests/integration/test_output_paths_unwritable.py.
"""

import os
from pathlib import Path

import pytest

from loadtest.bundle import write_atomically
from loadtest.cli import (
    compare,
    fetch_baseline,
    fetch_comment,
    record_baseline,
    run,
    write_comment_artifact,
)
from loadtest.exitcodes import ExitCode
from loadtest.output_paths import OutPathError, check_out_file, check_out_folder
from tests.conftest import GATE_FIXTURES
from tools.cli import bench_generator, bench_sandbox, calibrate

FOLDER_OPTIONS = {
    "run --out": (run.main, ["--preset", "smoke", "--out"]),
    "record_baseline --out": (record_baseline.main, [GATE_FIXTURES / "pass", "--out"]),
    "write_comment_artifact --out": (
        write_comment_artifact.main,
        ["--summary", GATE_FIXTURES / "expected" / "pass.md", "--pr", "7", "--head-sha", "a" * 40, "--out"],
    ),
    "fetch_baseline --out": (fetch_baseline.main, ["--preset", "smoke", "--out"]),
    "fetch_comment --out": (fetch_comment.main, ["--run-id", "1", "--out"]),
    "calibrate --out": (calibrate.main, ["--out"]),
    "bench_generator --keep-logs": (bench_generator.main, ["--keep-logs"]),
}
FILE_OPTIONS = {
    "run --html": (run.main, ["--preset", "smoke", "--html"]),
    "compare --summary": (compare.main, [GATE_FIXTURES / "pass", "--summary"]),
    "compare --json": (compare.main, [GATE_FIXTURES / "pass", "--json"]),
    "compare --trend": (compare.main, [GATE_FIXTURES / "pass", "--trend"]),
    "bench_sandbox --json": (bench_sandbox.main, ["--json"]),
}


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "earlier-results.txt"
    path.write_text("keep me", encoding="utf-8")
    return path


def refused(call_main, command, path: Path):
    main, args = command
    done = call_main(main, *args, path)
    assert done.returncode == ExitCode.USAGE, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout == ""
    return done.stderr


@pytest.mark.parametrize("option", FOLDER_OPTIONS)
def test_a_folder_option_given_a_file_is_refused(option, a_file, call_main):
    assert f"{a_file} is a file, not a folder" in refused(call_main, FOLDER_OPTIONS[option], a_file)
    assert a_file.read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("option", [*FOLDER_OPTIONS, *FILE_OPTIONS])
def test_a_path_inside_a_file_is_refused(option, a_file, call_main):
    command = FOLDER_OPTIONS.get(option) or FILE_OPTIONS[option]
    error = refused(call_main, command, a_file / "sub" / "out")
    assert f"{a_file} is a file, so nothing can be made inside it" in error


@pytest.mark.parametrize("option", FILE_OPTIONS)
def test_a_file_option_given_a_folder_is_refused(option, tmp_path, call_main):
    assert f"{tmp_path} is a folder, not a file" in refused(call_main, FILE_OPTIONS[option], tmp_path)


def test_new_paths_and_existing_folders_are_fine(tmp_path, a_file):
    check_out_folder(tmp_path, "--out")
    check_out_folder(tmp_path / "new" / "deeper", "--out")
    check_out_file(tmp_path / "new" / "summary.md", "--summary")
    check_out_file(a_file, "--summary")  # a file is rewritten in place, as compare --summary does
    with pytest.raises(OutPathError, match="--out"):
        check_out_folder(a_file, "--out")


def test_every_file_of_a_bundle_gets_the_mode_the_umask_gives(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomically(tmp_path / "run.json", "{}\n")
        (tmp_path / "locust.log").write_text("plain open()\n")
    finally:
        os.umask(old)

    modes = {path.name: path.stat().st_mode & 0o777 for path in tmp_path.iterdir()}
    assert modes == {"run.json": 0o640, "locust.log": 0o640}
