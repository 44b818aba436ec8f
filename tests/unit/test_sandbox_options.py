"""The sandbox's command-line options: parsed as documented, bad ones refused with one line and exit 2."""

import json

import pytest

from loadtest.sandbox import Caps, sandbox_args
from loadtest.sandbox.__main__ import build_parser, load_rules, main


def test_running_sandbox_options_parse_back_to_the_same_settings():
    caps = Caps(users=5, threads=7)
    args = build_parser().parse_args(sandbox_args(access_lifetime=1, admin=True, seed=3, caps=caps))
    assert (args.bind, args.port, args.access_lifetime, args.admin, args.seed) == (
        "127.0.0.1",
        0,
        1.0,
        True,
        3,
    )
    assert (args.cap_users, args.cap_threads, args.cap_messages_per_thread) == (5, 7, 50)


def test_cli_rules_come_before_file_rules(tmp_path):
    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"rules": [{"match": "*", "latency_ms": 1}]}))
    rules = load_rules(["GET /api/dashboard/=latency:50"], path)
    assert [(r.match, r.latency_ms) for r in rules] == [("GET /api/dashboard/", 50), ("*", 1)]


def test_the_help_documents_the_fault_syntax_and_the_caps(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "jitter:lognormal:MEDIAN_MS:P95_RATIO" in out and "errors:RATE" in out
    assert "10,000 users" in out and "50 messages per thread" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], "--port: must be 0..65535"),
        (["--access-lifetime", "0"], "--access-lifetime: must be > 0"),
        (["--fault", "GET /api/dashboard/"], "expected PATTERN=ITEM"),
        (["--fault", "*=latency:-5"], "latency_ms must be >= 0"),
        (["--faults-file", "/nonexistent/faults.json"], "--faults-file /nonexistent/faults.json"),
        (["--max-users", "0"], "cap users must be a positive integer"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_options_give_one_clear_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in err and err.count("\n") == 1


def test_a_malformed_faults_file_is_a_bad_option(tmp_path, capsys):
    path = tmp_path / "faults.json"
    path.write_text("[{")
    with pytest.raises(SystemExit) as exit_info:
        main(["--faults-file", str(path)])
    assert exit_info.value.code == 2
    assert f"--faults-file {path}" in capsys.readouterr().err
