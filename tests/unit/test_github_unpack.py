"""Safe unpacking of a baseline zip: every member is checked before anything is written."""

import io
import zipfile

import pytest

from loadtest.github.baseline import UnpackLimits, UnsafeArchiveError, safe_unpack
from tests.fakes.github_server import make_symlink_zip, make_zip, make_zip_bomb

SMALL = UnpackLimits(max_total_bytes=10_000, max_entries=5, max_ratio=50, ratio_floor_bytes=1_000)


def unpack(tmp_path, content, limits=SMALL):
    archive = tmp_path / "a.zip"
    archive.write_bytes(content)
    dest = tmp_path / "out"
    safe_unpack(archive, dest, limits=limits)
    return dest


def test_a_bundle_unpacks_with_its_folders(tmp_path):
    dest = unpack(tmp_path, make_zip({"run.json": "{}", "sub/": "", "sub/report.html": "<html>"}))
    assert (dest / "run.json").read_text() == "{}"
    assert (dest / "sub" / "report.html").read_text() == "<html>"


@pytest.mark.parametrize(
    "name",
    ["../x", "a/../../x", "a/../b", "/etc/passwd", "C:/windows", "c:x", "a\\..\\x", "..", "./"],
)
def test_escaping_names_are_rejected_before_writing(tmp_path, name):
    with pytest.raises(UnsafeArchiveError, match="unsafe path"):
        unpack(tmp_path, make_zip({"run.json": "{}", name: "x"}))
    assert not (tmp_path / "out").exists()


def test_a_symlink_is_rejected(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="symlink"):
        unpack(tmp_path, make_symlink_zip())


def test_too_many_entries(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="6 entries, more than 5"):
        unpack(tmp_path, make_zip({f"f{i}": "x" for i in range(6)}))


def test_too_many_bytes_in_total(tmp_path):
    files = {f"f{i}": bytes(range(256)) * 10 for i in range(5)}  # 12,800 bytes, incompressible enough
    with pytest.raises(UnsafeArchiveError, match="more than 10000 bytes"):
        unpack(tmp_path, make_zip(files))


def test_a_zip_bomb_fails_on_its_ratio_with_default_limits(tmp_path):
    with pytest.raises(UnsafeArchiveError, match=r"compresses \d+:1, more than 100:1"):
        unpack(tmp_path, make_zip_bomb(8 * 1024 * 1024), limits=UnpackLimits())


def test_small_files_may_compress_well(tmp_path):
    dest = unpack(tmp_path, make_zip({"run.json": " " * 900}))
    assert (dest / "run.json").stat().st_size == 900


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicate_names_are_rejected(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("run.json", "1")
        archive.writestr("run.json", "2")
    with pytest.raises(UnsafeArchiveError, match="twice"):
        unpack(tmp_path, buffer.getvalue())


def test_not_a_zip(tmp_path):
    with pytest.raises(UnsafeArchiveError, match="not a zip"):
        unpack(tmp_path, b"<html>signed URL expired</html>")


@pytest.mark.parametrize(
    "files",
    [{"x": "a file", "x/y": "inside it"}, {"x/y": "inside it", "x": "a file"}, {"x/": "", "x": "a file"}],
    ids=["file-then-inside", "inside-then-file", "folder-then-file"],
)
def test_a_path_both_a_file_and_a_folder_is_rejected_before_writing(tmp_path, files):
    with pytest.raises(UnsafeArchiveError, match="the zip holds 'x' both as a file and as a folder"):
        unpack(tmp_path, make_zip(files))
    assert not (tmp_path / "out").exists()


def test_a_name_twice_is_rejected_before_writing(tmp_path):
    buffer = io.BytesIO()
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("run.json", "{}")
        archive.writestr("run.json", "{} again")
    with pytest.raises(UnsafeArchiveError, match="the zip holds 'run.json' twice"):
        unpack(tmp_path, buffer.getvalue())
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "name",
    ["n" * 300, "é" * 128, "/".join(["d"] * 40) + "/f"],
    ids=["300-characters", "256-bytes", "41-levels"],
)
def test_a_path_this_system_cannot_write_is_rejected_in_one_line(tmp_path, name):
    with pytest.raises(UnsafeArchiveError, match="a path this system cannot write") as raised:
        unpack(tmp_path, make_zip({"run.json": "{}", name: "x"}))
    assert len(str(raised.value)) < 200
    assert not (tmp_path / "out").exists()
