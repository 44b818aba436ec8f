"""run.json: the facts of one run, defined once (RunFacts).

The runner writes every field; the gate, the baseline history and the README read them from here.
A field's metadata says its JSON kind (loadtest.bundle.typed_json), what it means, and, for the
settings two runs must share before their numbers are compared, the label a mismatch is named by.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from loadtest.bundle import typed_json

RUN_SCHEMA = 1
"""Version of run.json's layout."""
SCHEMAS = (RUN_SCHEMA,)
"""The layouts this version reads."""

SANDBOX, EXTERNAL, STARTED = "sandbox", "external", "started"
TARGETS = (SANDBOX, EXTERNAL, STARTED)
"""run.json's ``target``: the stand-in API, a real host given by URL, or an API the runner started
itself (``--start``). The gate picks thresholds.json's target layer by it, so an unknown value (a typo,
``Sandbox``) is refused rather than silently judged without that layer."""


def _run_length(seconds: Any) -> str:
    # The summary's own way of writing a duration (``45 s``, ``5 min``), so mismatches read like it.
    from loadtest.gate.units import format_duration

    return format_duration(seconds) if isinstance(seconds, float) else str(seconds)


def _seconds(value: Any) -> str:
    return f"{value:g} s" if isinstance(value, float) else str(value)


def _fact(
    kind: str,
    doc: str,
    *,
    comparable: str | None = None,
    show: Callable[[Any], str] = str,
    default: Any = None,
    choices: tuple[Any, ...] = (),
) -> Any:
    """A RunFacts field: its JSON kind, its description, its label if runs must share it, and the only
    values it may take (``choices``; empty: any of its kind)."""
    metadata = {"kind": kind, "doc": doc, "comparable": comparable, "show": show, "choices": choices}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Mismatch:
    """One setting two runs both record with different values."""

    label: str
    here: Any
    there: Any
    show: Callable[[Any], str] = field(repr=False, compare=False, default=str)

    def describe(self) -> str:
        """``users 10 here, 50 in the baseline``."""
        return f"{self.label} {self.show(self.here)} here, {self.show(self.there)} in the baseline"


@dataclass(frozen=True, kw_only=True)
class RunFacts:
    """What the runner records in run.json; every field is optional, since hand-made bundles may lack any."""

    schema: int | None = _fact("int", "version of run.json's layout (1)", choices=SCHEMAS)
    preset: str | None = _fact(
        "str", "the preset's name, or `custom` for a run set by -u/-r/-t alone", comparable="preset"
    )
    users: int | None = _fact("count", "peak users", comparable="users")
    spawn_rate: float | None = _fact("non_negative", "users started per second")
    run_time_s: float | None = _fact(
        "non_negative", "run time in seconds", comparable="run length", show=_run_length
    )
    wait_min_s: float | None = _fact(
        "non_negative",
        "shortest wait between a user's tasks, in seconds",
        comparable="shortest wait",
        show=_seconds,
    )
    wait_max_s: float | None = _fact(
        "non_negative",
        "longest wait between a user's tasks, in seconds",
        comparable="longest wait",
        show=_seconds,
    )
    """The users' wait between tasks: with users and run length it sets how many requests a run makes."""
    workers: int | None = _fact("count", "Locust worker processes (local or remote)")
    host: str | None = _fact("str", "the target's base URL, without credentials")
    target: str | None = _fact(
        "str",
        "`sandbox` (the stand-in API), `started` (the API started on the runner from a checkout, "
        "--start) or `external` (a host of the user's)",
        comparable="target",
        choices=TARGETS,
    )
    profile: str | None = _fact(
        "str",
        "the stand-in's latency profile, e.g. `realistic x0.1`, or `none`; null for a real host",
        comparable="latency profile",
    )
    git_commit: str | None = _fact("str", "the commit under test (LOADTEST_COMMIT, else the checkout's)")
    server_commit: str | None = _fact(
        "str", "the commit the started API ran (LOADTEST_COMMIT, else its checkout's); null otherwise"
    )
    start_command: str | None = _fact("str", "the command that started the API (--start), secrets masked")
    server_exit: str | None = _fact(
        "str",
        "how the started API ended while the run went on, e.g. `killed by SIGKILL` or `exit status 1` "
        "(the gate fails the run); null when it served the whole run",
    )
    server_exited_at_s: float | None = _fact("number", "seconds into the run when the started API ended")
    locust_version: str | None = _fact("str", "the Locust version that ran")
    started_at: datetime | None = _fact("time", "when the run started (UTC, ISO 8601)")
    ended_at: datetime | None = _fact("time", "when it ended (UTC, ISO 8601); null while it runs")
    exit_code: int | None = _fact("int", "Locust's exit code; null while it runs")
    duration_s: float | None = _fact(
        "non_negative",
        "how long Locust ran, in seconds: less than `run_time_s` when interrupted or stopped early; "
        "null while it runs",
    )
    interrupted: bool | None = _fact(
        "bool",
        "`true` when a signal cut the run short (the gate's verdict is `incomplete`); null while it runs",
    )
    signal: str | None = _fact("str", "the signal that interrupted the run, `SIGINT` or `SIGTERM`")
    stopped_by: str | None = _fact(
        "str",
        "the stop condition that ended the run early, e.g. `failure ratio 76% over the last 10 s, "
        "above 50%` (the gate fails the run)",
    )
    stopped_at_s: float | None = _fact("non_negative", "seconds into the run when the stop condition fired")
    tags: tuple[str, ...] = _fact("strings", "Locust's --tags: only tasks with these", default=())
    exclude_tags: tuple[str, ...] = _fact("strings", "Locust's --exclude-tags: tasks skipped", default=())
    seed: int | None = _fact("int", "the fake data's seed, for a reproducible run")
    endpoints: tuple[str, ...] = _fact(
        "strings",
        "the endpoints the run was meant to exercise: the contract's, less those its tags leave out",
        default=(),
    )
    lost_workers: tuple[Mapping[str, Any], ...] = _fact(
        "objects",
        "workers lost before the run was over: `id`, `index`, `how` (`quit` or `stopped sending "
        "heartbeats`) and `at` (Locust's log time)",
        default=(),
    )
    design: str | None = _fact(
        "str",
        "a run of a base against a head: how they shared it, `paired` or `blocks` (docs/gate.md); "
        "null for a run of one target",
    )
    block_s: float | None = _fact("number", "the blocks design's block length, in seconds")
    base_host: str | None = _fact("str", "the base's URL, without credentials (the head is `host`)")
    base_git_commit: str | None = _fact("str", "the base's commit (the head's is `git_commit`)")
    base_server_exit: str | None = _fact(
        "str",
        "how the base's started API ended while the run went on (as `server_exit` for the head's: the "
        "gate fails the run); null when it served the whole run",
    )
    base_server_exited_at_s: float | None = _fact(
        "number", "seconds into the run when the base's started API ended"
    )

    @classmethod
    def from_json(cls, data: Any, where: str) -> RunFacts:
        """Read run.json's object (or a history entry's facts); BundleError naming ``where`` and the field."""
        values = typed_json.read_fields(data, KINDS, where)
        for name, choices in CHOICES.items():
            if values.get(name) is not None and values[name] not in choices:
                wanted = "one of " + ", ".join(map(repr, choices))
                raise typed_json.bad_field(where, name, wanted, values[name])
        return cls(**{key: value for key, value in values.items() if value is not None})

    def to_json(self, names: tuple[str, ...] | None = None) -> dict[str, Any]:
        """run.json's object: every field (or those ``names``), times as ``2026-11-25T11:34:00Z``."""
        data = {}
        for name in names or tuple(KINDS):
            value = getattr(self, name)
            if KINDS[name] == "time":
                value = typed_json.format_time(value)
            elif isinstance(value, tuple):
                value = [dict(item) if isinstance(item, Mapping) else item for item in value]
            data[name] = value
        return data

    def mismatches(self, other: RunFacts, *, preset: str | None = None) -> list[Mismatch]:
        """The COMPARABLE settings both runs record with different values; ``preset`` overrides this run's."""
        found = []
        for name, (label, show) in COMPARABLE.items():
            here = (preset or self.preset) if name == "preset" else getattr(self, name)
            there = getattr(other, name)
            if here is not None and there is not None and here != there:
                found.append(Mismatch(label, here, there, show))
        return found


KINDS: Mapping[str, str] = {f.name: f.metadata["kind"] for f in fields(RunFacts)}
"""Every run.json field and its kind in loadtest.bundle.typed_json."""

CHOICES: Mapping[str, tuple[Any, ...]] = {
    f.name: f.metadata["choices"] for f in fields(RunFacts) if f.metadata["choices"]
}
"""The fields that take only some values of their kind (``schema``, ``target``)."""

COMPARABLE: Mapping[str, tuple[str, Callable[[Any], str]]] = {
    f.name: (f.metadata["comparable"], f.metadata["show"])
    for f in fields(RunFacts)
    if f.metadata["comparable"]
}
"""The settings two runs must share before their latencies are compared: field -> (label, how shown)."""


def describe_fields() -> list[tuple[str, str]]:
    """(field, what it means) for every run.json field, in order: the README's run.json table."""
    return [(f.name, f.metadata["doc"]) for f in fields(RunFacts)]
