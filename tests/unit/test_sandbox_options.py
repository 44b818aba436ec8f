"""The sandbox's command-line options: parsed as documented, bad ones refused with one line and exit 2.

The API key is required: ``--api-key`` or ``LOADTEST_API_KEY``, else exit 2 (and the key never shows).
"""

import json

import pytest

from loadtest.cli.sandbox import build_parser, load_rules, main
from loadtest.sandbox import Caps, sandbox_args


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


def test_the_help_documents_the_key_the_profiles_the_fault_syntax_and_the_caps(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "--api-key KEY" in out and "LOADTEST_API_KEY" in out and "X-API-Token" in out
    assert "--profile {realistic}" in out and "--profile-scale X" in out
    assert "jitter:lognormal:MEDIAN_MS:P95_RATIO" in out and "errors:RATE" in out
    assert "jitter:quantiles:P50:P90:P95:P99" in out
    assert "10,000 users" in out and "50 messages per thread" in out


def test_the_key_comes_from_the_option_or_the_environment():
    assert build_parser().parse_args(["--api-key", "k-1"]).api_key == "k-1"
    assert build_parser().parse_args([]).api_key is None
    assert "--api-key" not in sandbox_args(admin=True, profile="realistic")  # running_sandbox uses the env


@pytest.mark.parametrize(
    ("argv", "env"),
    [([], None), ([], ""), ([], "  \t"), (["--api-key", ""], None), (["--api-key", ""], " ")],
    ids=["none", "empty-env", "blank-env", "empty-option", "empty-option-blank-env"],
)
def test_without_a_key_main_exits_2_with_one_line(monkeypatch, capsys, argv, env):
    if env is None:
        monkeypatch.delenv("LOADTEST_API_KEY", raising=False)
    else:
        monkeypatch.setenv("LOADTEST_API_KEY", env)
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", "0", *argv])
    captured = capsys.readouterr()
    assert exit_info.value.code == 2
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "requires an API key" in captured.err and "--api-key or LOADTEST_API_KEY" in captured.err


def test_a_bad_option_does_not_show_the_key(monkeypatch, capsys):
    monkeypatch.setenv("LOADTEST_API_KEY", "env-secret-123")
    with pytest.raises(SystemExit) as exit_info:
        main(["--api-key", "option-secret-456", "--fault", "*=latency:-5"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "latency_ms must be >= 0" in err
    assert "secret" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], "--port: must be 0..65535"),
        (["--access-lifetime", "0"], "--access-lifetime: must be > 0"),
        (["--fault", "GET /api/dashboard/"], "expected PATTERN=ITEM"),
        (["--fault", "*=latency:-5"], "latency_ms must be >= 0"),
        (["--faults-file", "/nonexistent/faults.json"], "--faults-file /nonexistent/faults.json"),
        (["--max-users", "0"], "cap users must be a positive integer"),
        (["--profile", "fast"], "--profile: invalid choice: 'fast' (choose from"),
        (["--profile-scale", "0"], "--profile-scale: must be > 0"),
        (["--profile-scale", "-1"], "--profile-scale: must be > 0"),
        (["--profile-scale", "nan"], "--profile-scale: must be > 0"),
        (["--colour"], "unrecognized arguments: --colour"),
    ],
)
def test_bad_options_give_one_clear_line_and_exit_2(monkeypatch, capsys, argv, message):
    monkeypatch.setenv("LOADTEST_API_KEY", "a-key")  # the option is what is wrong, not the key
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in err and err.count("\n") == 1


def test_a_malformed_faults_file_is_a_bad_option(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LOADTEST_API_KEY", "a-key")
    path = tmp_path / "faults.json"
    path.write_text("[{")
    with pytest.raises(SystemExit) as exit_info:
        main(["--faults-file", str(path)])
    assert exit_info.value.code == 2
    assert f"--faults-file {path}" in capsys.readouterr().err
