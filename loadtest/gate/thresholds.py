"""thresholds.json: loading, schema validation, and the limits that apply to one run.

Limits come in layers, each overriding the ones before it metric by metric:

1. the top level,
2. ``presets.<preset>``,
3. ``targets.<target>`` (``sandbox``, ``started`` or ``external``, from run.json),
4. ``targets.<target>.presets.<preset>``.

Within a layer, ``defaults.endpoint`` applies to every endpoint first, then each key of
``endpoints`` that matches the endpoint's stats name (``fnmatch``, case-sensitive), least
specific first: a glob before an exact name, a glob with fewer literal characters before one
with more, and on a tie the later key in the file. So the most specific key of the latest
layer wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from loadtest.bundle import AGGREGATE, PERCENTILES, BundleError, read_json
from loadtest.bundle.files import MiB
from loadtest.gate.errors import GateInputError

# Package data: in the repository, links to the top-level files (where callers and editors find them);
# in a wheel, their contents. A non-editable install judges by the same file as a checkout.
DEFAULT_THRESHOLDS = Path(str(resources.files(__package__) / "thresholds.json"))
SCHEMA_PATH = Path(str(resources.files(__package__) / "thresholds.schema.json"))

MAX_THRESHOLDS_BYTES = 1 * MiB
"""thresholds.json is a few kB; a PR may write it, so it is capped like every file read."""

FLOOR_METRICS = ("min_rps", "min_requests")
"""Metrics that are lower limits; every other metric is an upper limit."""

_WILDCARDS = set("*?[]!")


@dataclass(frozen=True)
class Limit:
    """One limit on one metric, with where it was set and why."""

    metric: str
    value: float
    reason: str = ""
    source: str = ""
    """The JSON path that set it, e.g. ``targets.sandbox.defaults.endpoint.p95``."""
    sample: str | None = None
    """``interval`` or ``point`` (LimitSampling.sample), set on this limit; None: the layers' default."""

    @property
    def is_floor(self) -> bool:
        return self.metric in FLOOR_METRICS

    def is_broken_by(self, observed: float) -> bool:
        return observed < self.value if self.is_floor else observed > self.value


@dataclass(frozen=True)
class Tolerance:
    """A change fires only when it exceeds the relative AND the absolute part (a missing part is 0)."""

    relative: float = 0.0
    absolute: float = 0.0

    def is_exceeded(self, relative_change: float, absolute_change: float) -> bool:
        return relative_change > self.relative and absolute_change > self.absolute


@dataclass(frozen=True)
class RegressionRule:
    """Tolerances for one kind of regression: latency, throughput or failure_ratio."""

    kind: str
    warn: Tolerance | None
    fail: Tolerance | None
    reason: str = ""
    metrics: tuple[str, ...] = ()
    """For latency: which response-time metrics are compared."""


@dataclass(frozen=True)
class HistoryRule:
    """The noise-aware latency decision against a baseline history (loadtest.gate.noise)."""

    min_runs: int = 3
    """Fewer compatible runs than this: the fixed latency tolerances apply instead."""
    keep: int = 20
    """How many runs loadtest record-baseline keeps in history.json."""
    center_runs: int = 10
    """The band is centred on the median of this many most recent runs, so it follows a slow drift."""
    levels: Mapping[str, tuple[float, Tolerance]] = field(default_factory=dict)
    """``warn`` and ``fail``: (false-alarm rate per run, minimum practical effect)."""
    metrics: tuple[str, ...] = ("typical",)
    """What is judged per row: the typical response time (loadtest.gate.noise) and percentiles."""
    run_wide: Mapping[str, float] = field(default_factory=dict)
    """``warn`` and ``fail``: the relative minimum effect of the aggregate, the run-wide test (a
    shared runner moves every endpoint together by a few percent from run to run)."""
    reason: str = ""


@dataclass(frozen=True)
class BaseRule:
    """The paired decision of a head against a base measured in the same run (loadtest.gate.paired)."""

    latency: HistoryRule
    """Its ``levels`` and ``run_wide`` (the history's shape; the history's other fields are unused)."""
    common_mode: bool = True
    server_spread: bool = False
    """Widen every interval by how much more the run's endpoints spread than their sampling noise."""
    failure_ratio: RegressionRule | None = None
    new_error_level: str = "fail"
    """``warn``, ``fail`` or ``off``: an error status only the head answered with."""
    reason: str = ""


@dataclass(frozen=True)
class RegressionRules:
    """The regression section that applies to one run."""

    min_requests: int = 0
    latency: RegressionRule | None = None
    throughput: RegressionRule | None = None
    failure_ratio: RegressionRule | None = None
    history: HistoryRule | None = None
    base: BaseRule | None = None


@dataclass(frozen=True)
class Coverage:
    """What an endpoint the run was meant to exercise but that got no request is."""

    level: str = "warn"
    """``warn``, ``fail`` or ``off``."""
    reason: str = (
        "The run was meant to exercise it and sent it no request, so it was not tested: "
        "look at the tags, the task weights and the credentials (LOADTEST_TOKEN alone cannot sign in)."
    )


SAMPLED_METRICS = (*PERCENTILES, "failure_ratio", "min_rps")
"""Limits whose figure has a confidence interval from the run's own sample (loadtest.gate.rules)."""


@dataclass(frozen=True)
class LimitSampling:
    """How an absolute limit treats the sample its figure rests on (``limit_sampling``)."""

    sample: str = "interval"
    """``interval``: fail only when the figure's confidence interval lies beyond the limit, warn
    when only the figure does; ``point``: the figure alone decides."""
    confidence: float = 0.95
    reason: str = (
        "A p95 from 200 requests is the 10th slowest, and it swings by half between identical runs: "
        "a limit fails only when the interval, not the figure alone, is beyond it."
    )

    def sample_of(self, limit: Limit) -> str:
        if limit.metric not in SAMPLED_METRICS:
            return "point"
        return limit.sample or self.sample


@dataclass(frozen=True)
class _Layer:
    path: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Rules:
    """thresholds.json resolved for one preset and target."""

    layers: tuple[_Layer, ...]
    regression: RegressionRules = field(default_factory=RegressionRules)
    coverage: Coverage = field(default_factory=Coverage)
    stop: Mapping[str, float] = field(default_factory=dict)
    """The stop conditions the layers set, key by key (``failure_ratio``, ...; loadtest.user.status)."""
    sampling: LimitSampling = field(default_factory=LimitSampling)

    def aggregate_limits(self) -> dict[str, Limit]:
        limits: dict[str, Limit] = {}
        for layer in self.layers:
            defaults = layer.body.get("defaults", {}).get("aggregate", {})
            limits.update(_limits(defaults, f"{layer.path}defaults.aggregate"))
        return limits

    def endpoint_limits(self, name: str) -> dict[str, Limit]:
        if name == AGGREGATE:
            return self.aggregate_limits()
        limits: dict[str, Limit] = {}
        for layer in self.layers:
            defaults = layer.body.get("defaults", {}).get("endpoint", {})
            limits.update(_limits(defaults, f"{layer.path}defaults.endpoint"))
            for pattern in matching_patterns(name, layer.body.get("endpoints", {})):
                limits.update(
                    _limits(layer.body["endpoints"][pattern], f'{layer.path}endpoints["{pattern}"]')
                )
        return limits


@dataclass(frozen=True)
class Thresholds:
    """A validated thresholds.json."""

    source: Path
    document: Mapping[str, Any]

    def rules_for(self, *, preset: str | None, target: str | None) -> Rules:
        doc = self.document
        candidates = [("", doc)]
        if preset:
            candidates.append((f"presets.{preset}.", doc.get("presets", {}).get(preset)))
        if target:
            target_doc = doc.get("targets", {}).get(target)
            candidates.append((f"targets.{target}.", target_doc))
            if preset and target_doc:
                target_preset = target_doc.get("presets", {}).get(preset)
                candidates.append((f"targets.{target}.presets.{preset}.", target_preset))
        layers = tuple(_Layer(path, body) for path, body in candidates if body)
        return Rules(
            layers=layers,
            regression=_regression(layers),
            coverage=_coverage(layers),
            stop=_stop(layers),
            sampling=_sampling(layers),
        )


def matching_patterns(name: str, patterns: Iterable[str]) -> list[str]:
    """Keys of ``endpoints`` that match ``name``, least specific first (see the module docstring)."""
    ordered = list(patterns)
    matches = [p for p in ordered if fnmatchcase(name, p)]
    return sorted(matches, key=lambda p: (_is_exact(p), _literal_chars(p), ordered.index(p)))


def _is_exact(pattern: str) -> bool:
    return not _WILDCARDS & set(pattern)


def _literal_chars(pattern: str) -> int:
    return sum(char not in _WILDCARDS for char in pattern)


def _limits(rules: Mapping[str, Any], path: str) -> dict[str, Limit]:
    limits = {}
    for metric, spec in rules.items():
        spec = spec if isinstance(spec, dict) else {"value": spec}
        limits[metric] = Limit(
            metric=metric,
            value=float(spec["value"]),
            reason=spec.get("reason", ""),
            source=f"{path}.{metric}",
            sample=spec.get("sample"),
        )
    return limits


def _regression(layers: Iterable[_Layer]) -> RegressionRules:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer.body.get("regression", {}))
    return RegressionRules(
        min_requests=merged.get("min_requests", 0),
        latency=_regression_rule("latency", merged.get("latency"), "absolute_ms"),
        throughput=_regression_rule("throughput", merged.get("throughput"), "absolute_rps"),
        failure_ratio=_regression_rule("failure_ratio", merged.get("failure_ratio"), "absolute"),
        history=_history_rule(merged.get("history")),
        base=_base_rule(merged.get("base")),
    )


def _base_rule(spec: Mapping[str, Any] | None) -> BaseRule | None:
    latency = _history_rule(spec)
    if not spec or latency is None:
        return None
    return BaseRule(
        latency=latency,
        common_mode=spec.get("common_mode", True),
        server_spread=spec.get("server_spread", False),
        failure_ratio=_regression_rule("failure_ratio", spec.get("failure_ratio"), "absolute"),
        new_error_level=spec.get("new_error_level", "fail"),
        reason=spec.get("reason", ""),
    )


def _coverage(layers: Iterable[_Layer]) -> Coverage:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer.body.get("coverage", {}))
    return Coverage(**merged)


def _sampling(layers: Iterable[_Layer]) -> LimitSampling:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer.body.get("limit_sampling", {}))
    return LimitSampling(**merged)


def _stop(layers: Iterable[_Layer]) -> dict[str, float]:
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update(layer.body.get("stop", {}))
    merged.pop("reason", None)
    return {key: float(value) for key, value in merged.items()}


def _history_rule(spec: Mapping[str, Any] | None) -> HistoryRule | None:
    if not spec:
        return None
    levels = {
        level: (
            spec[level]["false_alarm_rate"],
            Tolerance(relative=spec[level].get("relative", 0.0), absolute=spec[level].get("absolute_ms", 0)),
        )
        for level in ("warn", "fail")
        if level in spec
    }
    return HistoryRule(
        min_runs=spec.get("min_runs", 3),
        keep=spec.get("keep", 20),
        center_runs=spec.get("center_runs", 10),
        levels=levels,
        metrics=tuple(spec.get("metrics", HistoryRule.metrics)),
        run_wide={
            level: spec[level]["run_wide_relative"] for level in levels if "run_wide_relative" in spec[level]
        },
        reason=spec.get("reason", ""),
    )


def _regression_rule(kind: str, spec: Mapping[str, Any] | None, absolute_key: str) -> RegressionRule | None:
    if not spec:
        return None

    def tolerance(level: str) -> Tolerance | None:
        if level not in spec:
            return None
        return Tolerance(
            relative=spec[level].get("relative", 0.0), absolute=spec[level].get(absolute_key, 0.0)
        )

    return RegressionRule(
        kind=kind,
        warn=tolerance("warn"),
        fail=tolerance("fail"),
        reason=spec.get("reason", ""),
        metrics=tuple(spec.get("metrics", ())),
    )


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> Thresholds:
    """Read and validate a thresholds file against thresholds.schema.json; GateInputError if unusable."""
    document = _read_json(Path(path))
    error = best_match(_validator().iter_errors(document))
    if error is not None:
        raise GateInputError(f"{path}: {_field(error)}: {_plain(error)}")
    return Thresholds(source=Path(path), document=document)


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _field(error: jsonschema.ValidationError) -> str:
    return "field " + (error.json_path if error.path else "$ (the top level)")


def _plain(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, with unknown keys (the mistake people make most) in plain words."""
    if error.validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unknown = ", ".join(repr(key) for key in error.instance if key not in allowed)
        return f"unknown key {unknown} (allowed: {', '.join(allowed)})"
    return error.message


def _read_json(path: Path) -> Any:
    if not path.exists():
        raise GateInputError(f"{path}: no such thresholds file")
    try:
        return read_json(path, max_bytes=MAX_THRESHOLDS_BYTES)
    except BundleError as exc:  # NaN, Infinity and 1e400 are refused here: the schema cannot see them
        raise GateInputError(str(exc)) from None
