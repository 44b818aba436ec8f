"""The comment artifact as untrusted input: strict formats, size caps, no symlinks."""

import pytest

from loadtest.github.comment_artifact import (
    HEAD_SHA_FILE,
    MAX_SUMMARY_BYTES,
    PR_NUMBER_FILE,
    SUMMARY_FILE,
    InvalidArtifactError,
    parse_head_sha,
    parse_pr_number,
    read_comment_artifact,
    write_comment_artifact,
)
from loadtest.text.summary_limits import TRIM_NOTE

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(("text", "number"), [("1", 1), ("42", 42), ("42\n", 42), ("9999999999", 9999999999)])
def test_valid_pr_numbers(text, number):
    assert parse_pr_number(text) == number


@pytest.mark.parametrize(
    "text",
    ["", "0", "042", "-1", "+1", " 1", "1 ", "1\n\n", "1\r\n", "1.0", "1e3", "0x1", "١٢", "12345678901"],
)
def test_invalid_pr_numbers(text):
    with pytest.raises(InvalidArtifactError, match=PR_NUMBER_FILE):
        parse_pr_number(text)


@pytest.mark.parametrize(
    "text", ["", SHA[:39], SHA + "0", SHA.upper(), "g" * 40, f" {SHA}", "HEAD", f"{SHA}\n\n"]
)
def test_invalid_head_shas(text):
    with pytest.raises(InvalidArtifactError, match=HEAD_SHA_FILE):
        parse_head_sha(text)


def test_a_head_sha_may_end_in_one_newline():
    assert parse_head_sha(f"{SHA}\n") == SHA


def test_round_trip(tmp_path):
    write_comment_artifact(tmp_path, summary="## ok\n", pr_number=7, head_sha=SHA)
    artifact = read_comment_artifact(tmp_path)
    assert (artifact.pr_number, artifact.head_sha, artifact.summary) == (7, SHA, "## ok\n")


def test_the_writer_trims_a_giant_summary(tmp_path):
    write_comment_artifact(tmp_path, summary="x\n" * 100_000, pr_number=7, head_sha=SHA)
    assert read_comment_artifact(tmp_path).summary.endswith(TRIM_NOTE)


@pytest.fixture
def artifact(tmp_path):
    write_comment_artifact(tmp_path, summary="## ok\n", pr_number=7, head_sha=SHA)
    return tmp_path


@pytest.mark.parametrize("name", [SUMMARY_FILE, PR_NUMBER_FILE, HEAD_SHA_FILE])
def test_a_missing_file(artifact, name):
    (artifact / name).unlink()
    with pytest.raises(InvalidArtifactError, match="missing or not a regular file"):
        read_comment_artifact(artifact)


def test_a_symlinked_summary_is_refused(artifact, tmp_path_factory):
    secret = tmp_path_factory.mktemp("elsewhere") / "secret"
    secret.write_text("runner secrets")
    (artifact / SUMMARY_FILE).unlink()
    (artifact / SUMMARY_FILE).symlink_to(secret)
    with pytest.raises(InvalidArtifactError, match="not a regular file"):
        read_comment_artifact(artifact)


def test_an_oversize_summary_is_refused(artifact):
    (artifact / SUMMARY_FILE).write_bytes(b"x" * (MAX_SUMMARY_BYTES + 1))
    with pytest.raises(InvalidArtifactError, match="larger than"):
        read_comment_artifact(artifact)


@pytest.mark.parametrize("content", [b"\xff\xfe not utf-8", b"nul \x00 inside"])
def test_a_summary_that_is_not_text_is_refused(artifact, content):
    (artifact / SUMMARY_FILE).write_bytes(content)
    with pytest.raises(InvalidArtifactError, match=SUMMARY_FILE):
        read_comment_artifact(artifact)
