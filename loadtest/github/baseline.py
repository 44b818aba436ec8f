"""Baselines: the newest results bundle of a preset from the default branch, fetched and unpacked safely.

After a passing push or schedule run on the default branch, the load-test workflow
uploads its bundle as the artifact ``loadtest-baseline-<preset>``. A PR run looks
through recent successful runs of that workflow on the default branch, newest
first, and takes the first such artifact that has not expired.

Only push and schedule runs of this repository count: a fork PR whose branch is
also called ``main`` runs with its own copy of the workflow and could upload an
artifact of that name.

The zip is fetched from a signed URL on a storage host (the API answers 302);
the token is not sent there. Unpacking refuses absolute paths, ``..``, symlinks,
too many entries, too many bytes and implausible compression ratios, and it
happens in a temporary folder that is renamed into place only when complete.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urljoin

import requests

from loadtest.bundle import RUN_FACTS
from loadtest.config import DEFAULT_WORKFLOW
from loadtest.github.client import GitHubClient, GitHubError
from loadtest.output_paths import check_out_folder

BASELINE_ARTIFACT_PREFIX = "loadtest-baseline-"
DEFAULT_BRANCH = "main"
BASELINE_EVENTS = frozenset({"push", "schedule"})
"""Runs that may provide a baseline; PR and manual runs never do."""
MAX_RUNS_SCANNED = 50
"""How far back to look: a baseline older than 50 successful runs is not worth comparing with."""

_PRESET = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_WORKFLOW = re.compile(r"[A-Za-z0-9_.-]+\.ya?ml|[0-9]+")
_CHUNK = 64 * 1024
MAX_NAME_BYTES = 255
"""NAME_MAX on Linux: a longer component fails to open with ENAMETOOLONG."""
MAX_PATH_DEPTH = 32
_REDIRECTS = (301, 302, 303, 307, 308)
MiB = 1024 * 1024


class UnsafeArchiveError(ValueError):
    """The artifact zip is not safe or not sane to unpack; nothing was written."""


@dataclass(frozen=True, kw_only=True)
class UnpackLimits:
    """Caps for a downloaded baseline; a results bundle is a few MiB."""

    max_download_bytes: int = 100 * MiB
    max_total_bytes: int = 200 * MiB
    """Sum of the uncompressed sizes."""
    max_entries: int = 500
    max_ratio: float = 100.0
    """Uncompressed / compressed for one entry; CSV, JSON and HTML stay far below, a zip bomb does not."""
    ratio_floor_bytes: int = 1 * MiB
    """Entries smaller than this skip the ratio check: tiny files compress oddly and cannot hurt."""


@dataclass(frozen=True, kw_only=True)
class BaselineArtifact:
    artifact_id: int
    run_id: int
    head_sha: str
    created_at: str
    run_url: str


@dataclass(frozen=True, kw_only=True)
class Baseline:
    artifact: BaselineArtifact
    path: Path
    """The unpacked results bundle."""


def baseline_artifact_name(preset: str) -> str:
    if not _PRESET.fullmatch(preset):
        raise ValueError(f"preset {preset!r} is not a name like smoke or average (a-z, 0-9, - and _)")
    return f"{BASELINE_ARTIFACT_PREFIX}{preset}"


def validate_workflow(workflow: str) -> str:
    if not _WORKFLOW.fullmatch(workflow):
        raise ValueError(f"workflow {workflow!r} is not a file name like loadtest.yml or a workflow id")
    return workflow


def check_out_dir(out_dir: Path) -> None:
    """The destination must not exist, or be an empty folder: a baseline never overwrites files.

    OutPathError (a ValueError) when it is a file, inside one, or in a folder that cannot be written."""
    if out_dir.is_symlink():
        raise ValueError(f"{out_dir} exists and is not a folder")
    check_out_folder(out_dir, "--out")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty; give a new or empty folder")


def fetch_baseline(
    client: GitHubClient,
    *,
    preset: str,
    out_dir: Path,
    workflow: str = DEFAULT_WORKFLOW,
    branch: str = DEFAULT_BRANCH,
    limits: UnpackLimits | None = None,
) -> Baseline | None:
    """Find and unpack the newest baseline into ``out_dir``; None when there is none yet."""
    artifact = find_baseline_artifact(client, preset=preset, workflow=workflow, branch=branch)
    if artifact is None:
        return None
    download_baseline(client, artifact, out_dir, limits=limits or UnpackLimits())
    return Baseline(artifact=artifact, path=out_dir)


def find_baseline_artifact(
    client: GitHubClient,
    *,
    preset: str,
    workflow: str = DEFAULT_WORKFLOW,
    branch: str = DEFAULT_BRANCH,
    max_runs: int = MAX_RUNS_SCANNED,
) -> BaselineArtifact | None:
    """The unexpired baseline artifact of the newest successful push/schedule run on ``branch``."""
    name = baseline_artifact_name(preset)
    runs = client.paginate(
        client.repo_url(f"actions/workflows/{quote(validate_workflow(workflow))}/runs"),
        params={"branch": branch, "status": "success", "per_page": min(max_runs, 100)},
        key="workflow_runs",
    )
    for scanned, run in enumerate(runs):
        if scanned >= max_runs:
            break
        if not _may_provide_baseline(run, repository=client.settings.repository, branch=branch):
            continue
        artifact = find_run_artifact(client, int(run["id"]), name)
        if artifact is not None:
            return BaselineArtifact(
                artifact_id=int(artifact["id"]),
                run_id=int(run["id"]),
                head_sha=str(run.get("head_sha", "")),
                created_at=str(artifact.get("created_at", "")),
                run_url=str(run.get("html_url", "")),
            )
    return None


def download_baseline(
    client: GitHubClient, artifact: BaselineArtifact, out_dir: Path, *, limits: UnpackLimits
) -> None:
    """Download and unpack a baseline; it must be a results bundle."""
    download_artifact(client, artifact.artifact_id, out_dir, limits=limits, required_file=RUN_FACTS)


def download_artifact(
    client: GitHubClient,
    artifact_id: int,
    out_dir: Path,
    *,
    limits: UnpackLimits | None = None,
    required_file: str | None = None,
) -> None:
    """Download and unpack any artifact into a temporary sibling of ``out_dir``, then rename it into place.

    On any failure nothing is left behind: ``out_dir`` is either complete or absent.
    """
    limits = limits or UnpackLimits()
    check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=".artifact-") as work:
        zip_path = Path(work) / "artifact.zip"
        staging = Path(work) / "unpacked"
        _download_zip(client, artifact_id, zip_path, max_bytes=limits.max_download_bytes)
        safe_unpack(zip_path, staging, limits=limits)
        if required_file and not (staging / required_file).is_file():
            raise UnsafeArchiveError(f"artifact {artifact_id} is not what was expected: no {required_file}")
        if out_dir.is_dir():
            out_dir.rmdir()  # empty, checked above
        os.replace(staging, out_dir)


def safe_unpack(zip_path: Path, dest: Path, *, limits: UnpackLimits) -> None:
    """Unpack into the new folder ``dest``; every member is checked before anything is written."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise UnsafeArchiveError("the artifact is not a zip file") from None
    with archive:
        members = archive.infolist()
        _check_members(members, limits)
        dest.mkdir()
        for info in members:
            _extract(archive, info, dest)


def _check_members(members: list[zipfile.ZipInfo], limits: UnpackLimits) -> None:
    if len(members) > limits.max_entries:
        raise UnsafeArchiveError(f"the zip has {len(members)} entries, more than {limits.max_entries}")
    _check_layout(members)
    total = 0
    for info in members:
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(f"the zip holds a symlink: {_shown(info.filename)}")
        if info.flag_bits & 0x1:
            raise UnsafeArchiveError(f"the zip holds an encrypted entry: {_shown(info.filename)}")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeArchiveError(f"the zip unpacks to more than {limits.max_total_bytes} bytes")
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise UnsafeArchiveError(
                f"{_shown(info.filename)} compresses {info.file_size // max(info.compress_size, 1)}:1, "
                f"more than {limits.max_ratio:.0f}:1 (zip bomb?)"
            )


def _check_layout(members: list[zipfile.ZipInfo]) -> None:
    """Every member's path is safe and writable here, and no path is both a file and a folder
    (``x``, then ``x/y``), nor a file twice: checked before anything is written."""
    files: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = set()
    for info in members:
        parts = _safe_parts(info.filename)
        folders.update(parts[:end] for end in range(1, len(parts)))
        if info.is_dir():
            folders.add(parts)
        elif parts in files:
            raise UnsafeArchiveError(f"the zip holds {_shown(info.filename)} twice")
        else:
            files.add(parts)
    both = sorted(files & folders)
    if both:
        raise UnsafeArchiveError(f"the zip holds {_shown('/'.join(both[0]))} both as a file and as a folder")


def _safe_parts(name: str) -> tuple[str, ...]:
    """The path components of a member name, or UnsafeArchiveError for anything that could escape
    or that this system cannot write (a component over NAME_MAX bytes, too many levels)."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name):
        raise UnsafeArchiveError(f"the zip holds an unsafe path: {_shown(name)}")
    parts = tuple(part for part in PurePosixPath(name).parts if part != ".")
    if not parts or ".." in parts:
        raise UnsafeArchiveError(f"the zip holds an unsafe path: {_shown(name)}")
    if any(len(part.encode()) > MAX_NAME_BYTES for part in parts) or len(parts) > MAX_PATH_DEPTH:
        raise UnsafeArchiveError(
            f"the zip holds a path this system cannot write: {_shown(name)} ({len(name)} characters; "
            f"at most {MAX_NAME_BYTES} bytes a name and {MAX_PATH_DEPTH} levels)"
        )
    return parts


def _shown(name: str) -> str:
    """A member's name in a message: the PR chose it, so it is cut and shown as data."""
    return repr(name) if len(name) <= 60 else repr(name[:57] + "...")


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> None:
    target = dest.joinpath(*_safe_parts(info.filename))
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with archive.open(info) as source, target.open("xb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > info.file_size:  # the header lied about the size
                    raise UnsafeArchiveError(f"{_shown(info.filename)} is larger than its header says")
                sink.write(chunk)
    except FileExistsError:
        raise UnsafeArchiveError(f"the zip holds {_shown(info.filename)} twice") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as exc:
        raise UnsafeArchiveError(f"{_shown(info.filename)} is corrupt: {exc}") from None


def _download_zip(client: GitHubClient, artifact_id: int, zip_path: Path, *, max_bytes: int) -> None:
    """GET the artifact's zip: the API answers 302 to a signed URL, fetched without the token."""
    response = client.request(
        "GET", client.repo_url(f"actions/artifacts/{artifact_id}/zip"), allow_redirects=False, stream=True
    )
    if response.status_code in _REDIRECTS:
        location = response.headers.get("location", "")
        response.close()
        if not location:
            raise GitHubError(f"artifact {artifact_id}: redirect without a location")
        # a signed URL on another host: the token must not go there, and it needs none
        response = client.request("GET", urljoin(response.url, location), authenticated=False, stream=True)
    with response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise UnsafeArchiveError(f"artifact {artifact_id} is {declared} bytes, more than {max_bytes}")
        _save(response, zip_path, max_bytes=max_bytes, artifact_id=artifact_id)


def _save(response: requests.Response, path: Path, *, max_bytes: int, artifact_id: int) -> None:
    size = 0
    try:
        with path.open("wb") as sink:
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UnsafeArchiveError(f"artifact {artifact_id} is larger than {max_bytes} bytes")
                sink.write(chunk)
    except requests.RequestException as exc:
        raise GitHubError(f"artifact {artifact_id}: download interrupted ({type(exc).__name__})") from None


def _may_provide_baseline(run: dict[str, Any], *, repository: str, branch: str) -> bool:
    head_repository = (run.get("head_repository") or {}).get("full_name", repository)
    return (
        run.get("event") in BASELINE_EVENTS
        and run.get("conclusion") == "success"
        and run.get("head_branch") == branch
        and str(head_repository).lower() == repository.lower()
    )


def find_run_artifact(client: GitHubClient, run_id: int, name: str) -> dict[str, Any] | None:
    """The run's unexpired artifact called ``name`` (the API's artifact object), or None."""
    artifacts = client.paginate(
        client.repo_url(f"actions/runs/{run_id}/artifacts"),
        params={"name": name, "per_page": 100},
        key="artifacts",
    )
    return next((a for a in artifacts if a.get("name") == name and not a.get("expired", False)), None)
