"""GitHub settings from the environment, the retry policy, and the runner's workflow commands."""

import io

import pytest

from loadtest.config import ConfigError
from loadtest.github.actions import annotate, print_untrusted, write_outputs
from loadtest.github.client import DEFAULT_API_URL, GitHubSettings, RetryPolicy

TOKEN = "ghs_SECRETunitTOKEN"


def test_from_environ_reads_what_actions_sets():
    settings = GitHubSettings.from_environ(
        {
            "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
            "GITHUB_REPOSITORY": "amal/loadtest",
            "GITHUB_TOKEN": TOKEN,
        }
    )
    assert (settings.api_url, settings.repository, settings.token) == (
        "https://ghe.example.com/api/v3",
        "amal/loadtest",
        TOKEN,
    )
    assert settings.configured


def test_defaults_are_unconfigured_local_use():
    settings = GitHubSettings.from_environ({})
    assert settings.api_url == DEFAULT_API_URL and not settings.configured


def test_the_token_never_reaches_repr():
    assert TOKEN not in repr(GitHubSettings(repository="a/b", token=TOKEN))


@pytest.mark.parametrize(
    "environ",
    [{"GITHUB_REPOSITORY": "no-slash"}, {"GITHUB_REPOSITORY": "a/b/c"}, {"GITHUB_API_URL": "ftp://x"}],
)
def test_malformed_settings_are_config_errors(environ):
    with pytest.raises(ConfigError):
        GitHubSettings.from_environ(environ)


@pytest.mark.parametrize(("attempt", "seconds"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (9, 16.0)])
def test_backoff_doubles_up_to_its_cap(attempt, seconds):
    assert RetryPolicy().backoff(attempt) == seconds


def test_annotations_escape_newlines_inside_actions():
    out = io.StringIO()
    annotate("warning", "two\nlines 100%", environ={"GITHUB_ACTIONS": "true"}, stream=out)
    assert out.getvalue() == "::warning::two%0Alines 100%25\n"


def test_annotations_are_plain_outside_actions():
    out = io.StringIO()
    annotate("notice", "hello", environ={}, stream=out)
    assert out.getvalue() == "notice: hello\n"


def test_untrusted_text_cannot_issue_workflow_commands():
    out = io.StringIO()
    print_untrusted("::add-mask::x\n::error::fake", environ={"GITHUB_ACTIONS": "true"}, stream=out)
    first, *body, last = out.getvalue().splitlines()
    fence = first.removeprefix("::stop-commands::")
    assert len(fence) == 32 and last == f"::{fence}::"
    assert body == ["::add-mask::x", "::error::fake"]


def test_outputs_append_to_github_output(tmp_path):
    path = tmp_path / "out"
    path.write_text("earlier=1\n")
    write_outputs({"found": "true", "run-id": "5"}, environ={"GITHUB_OUTPUT": str(path)})
    assert path.read_text() == "earlier=1\nfound=true\nrun-id=5\n"


def test_an_output_value_cannot_smuggle_a_second_line(tmp_path):
    with pytest.raises(ValueError, match="single line"):
        write_outputs({"found": "true\ninjected=1"}, environ={"GITHUB_OUTPUT": str(tmp_path / "out")})
