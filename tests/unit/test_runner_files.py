"""Bad files from the runner (an unwritable $GITHUB_OUTPUT, a malformed event): one line naming it and
exit 2, never a traceback."""

from loadtest.cli import main
from loadtest.exitcodes import ExitCode


def test_an_unwritable_step_output_file_is_one_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_dispatch")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path))  # a folder: open(..., "a") fails
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    assert main(["plan"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    where = f"$GITHUB_OUTPUT ({str(tmp_path)!r})"
    assert err.strip().splitlines() == [
        f"loadtest plan: error: cannot append the step outputs to {where}: Is a directory"
    ]


def test_a_malformed_event_file_is_one_clear_error_not_an_empty_event(tmp_path, monkeypatch, capsys):
    # An empty event would plan a pull request as if it were a dispatch: refuse instead.
    event = tmp_path / "event.json"
    event.write_text('{"pull_request": ', encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path))
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert main(["plan"]) == ExitCode.USAGE
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"loadtest plan: error: GITHUB_EVENT_PATH ({str(event)!r}) is not JSON: ")
