"""thresholds.json: the schema, the repository's own file, and which limit applies where."""

import json
from pathlib import Path

import pytest

from loadtest.contract import ENDPOINTS
from loadtest.gate import DEFAULT_THRESHOLDS, GateInputError
from loadtest.gate.thresholds import Thresholds, load_thresholds, matching_patterns
from loadtest.github.workflow_plan import named_presets
from loadtest.presets import available


def write(tmp_path: Path, document) -> Path:
    path = tmp_path / "thresholds.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def limits(document: dict, name: str, *, preset=None, target=None) -> dict[str, float]:
    rules = Thresholds(source=Path("t.json"), document=document).rules_for(preset=preset, target=target)
    return {metric: limit.value for metric, limit in rules.endpoint_limits(name).items()}


def test_the_repository_thresholds_validate_and_give_every_endpoint_limits():
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)

    for preset in (None, *available()):
        for target in (None, "sandbox", "external"):
            rules = thresholds.rules_for(preset=preset, target=target)
            for endpoint in ENDPOINTS:
                assert {"p95", "p99", "failure_ratio"} <= set(rules.endpoint_limits(endpoint.name))
            assert rules.regression.latency is not None


def test_the_repository_thresholds_name_only_the_repositorys_presets():
    # The schema takes any preset name (a caller's thresholds file names its own presets), so this
    # file's names are held to the presets in loadtest/presets/ here.
    named = {name for _, name in named_presets(json.loads(DEFAULT_THRESHOLDS.read_text(encoding="utf-8")))}
    assert named and named <= set(available())


def test_a_callers_thresholds_may_name_a_preset_of_its_own(tmp_path):
    path = write(tmp_path, {"presets": {"api-pr": {"defaults": {"aggregate": {"p95": 900}}}}})

    rules = load_thresholds(path).rules_for(preset="api-pr", target=None)

    assert rules.aggregate_limits()["p95"].source == "presets.api-pr.defaults.aggregate.p95"


def test_every_limit_in_the_repository_thresholds_says_why():
    def limits_without_reason(node, path="$"):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in (
                    "p50",
                    "p75",
                    "p90",
                    "p95",
                    "p99",
                    "avg",
                    "max",
                    "failure_ratio",
                    "min_rps",
                    "min_requests",
                ):
                    if not (isinstance(value, dict) and value.get("reason")):
                        yield f"{path}.{key}"
                elif key not in ("regression", "stop"):  # one reason per kind or section, checked below
                    yield from limits_without_reason(value, f"{path}.{key}")

    document = json.loads(DEFAULT_THRESHOLDS.read_text())
    regression_kinds = [
        kind
        for layer in _layers(document)
        for kind in layer.get("regression", {}).values()
        if isinstance(kind, dict)
    ]

    stop_sections = [layer["stop"] for layer in _layers(document) if "stop" in layer]
    assert list(limits_without_reason(document)) == []
    assert all(kind.get("reason") for kind in regression_kinds)
    assert stop_sections and all(section.get("reason") for section in stop_sections)


def test_the_sandbox_is_held_tighter_than_a_real_host():
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)
    real_host = thresholds.rules_for(preset="smoke", target="external").endpoint_limits("GET /api/dashboard/")
    sandbox = thresholds.rules_for(preset="smoke", target="sandbox").endpoint_limits("GET /api/dashboard/")

    assert sandbox["p95"].value < real_host["p95"].value


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "t/thresholds.json: line 1: invalid JSON: Expecting property name"),
        ([], "field $ (the top level): [] is not of type 'object'"),
        (
            {"defaults": {"endpoint": {"p96": 10}}},
            "field $.defaults.endpoint: unknown key 'p96' (allowed: p50, p75",
        ),
        (
            {"defaults": {"endpoint": {"p95": -1}}},
            "field $.defaults.endpoint.p95: -1 is less than the minimum of 0",
        ),
        (
            {"defaults": {"endpoint": {"p95": {"value": -5, "reason": "x"}}}},
            "field $.defaults.endpoint.p95.value: -5 is less than the minimum of 0",
        ),
        (
            {"defaults": {"aggregate": {"failure_ratio": 5}}},
            "field $.defaults.aggregate.failure_ratio: 5 is greater than the maximum of 1",
        ),
        ({"defaults": {"endpoint": {"p95": "fast"}}}, "field $.defaults.endpoint.p95: 'fast' is not of type"),
        (
            {"endpoints": {"/api/dashboard/": {"p95": 1}}},
            "field $.endpoints: '/api/dashboard/' does not match",
        ),
        ({"presets": {"Stress!": {}}}, "field $.presets: 'Stress!' does not match '^[a-z][a-z0-9_-]*$'"),
        (
            {"targets": {"staging": {}}},
            "field $.targets: unknown key 'staging' (allowed: sandbox, started, external)",
        ),
        (
            {"regression": {"latency": {"metrics": ["p95"], "warn": {"relative": 0.1, "absolute": 5}}}},
            "field $.regression.latency.warn: unknown key 'absolute' (allowed: relative, absolute_ms)",
        ),
        (
            {"regression": {"latency": {"metrics": ["p42"]}}},
            "field $.regression.latency.metrics[0]: 'p42' is not one of",
        ),
        (
            {"stop": {"failure_ratio": 1.5}},
            "field $.stop.failure_ratio: 1.5 is greater than the maximum of 1",
        ),
        (
            {"targets": {"external": {"stop": {"window_s": 5}}}},
            "field $.targets.external.stop: unknown key 'window_s' (allowed: warmup_s, failure_ratio",
        ),
    ],
    ids=[
        "invalid-json",
        "not-an-object",
        "unknown-metric",
        "negative-limit",
        "negative-limit-value",
        "ratio-over-one",
        "limit-not-a-number",
        "endpoint-key-without-method",
        "malformed-preset-name",
        "unknown-target",
        "unknown-tolerance-key",
        "unknown-regression-metric",
        "stop-ratio-over-one",
        "unknown-stop-key",
    ],
)
def test_a_bad_thresholds_file_names_the_field_and_the_problem(tmp_path, document, message):
    (tmp_path / "t").mkdir()
    path = write(tmp_path / "t", document)

    with pytest.raises(GateInputError) as raised:
        load_thresholds(path)

    assert message in str(raised.value)
    assert str(raised.value).startswith(str(path))


def test_a_missing_thresholds_file_is_named(tmp_path):
    with pytest.raises(GateInputError, match=r"nope.json: no such thresholds file"):
        load_thresholds(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("patterns", "expected"),
    [
        (["GET /api/*", "GET /api/dashboard/"], ["GET /api/*", "GET /api/dashboard/"]),
        (["GET /api/dashboard/", "GET /api/*"], ["GET /api/*", "GET /api/dashboard/"]),
        (["GET /api/dashboard/*", "GET /api/*"], ["GET /api/*", "GET /api/dashboard/*"]),
        (["* /api/dashboard/", "GET /api/*"], ["GET /api/*", "* /api/dashboard/"]),
        (["GET /api/d*", "GET /api/*/"], ["GET /api/d*", "GET /api/*/"]),
        (["GET /api/*/", "GET /api/d*"], ["GET /api/*/", "GET /api/d*"]),
        (["POST /api/*", "get /api/dashboard/"], []),
    ],
    ids=[
        "exact-beats-glob",
        "exact-beats-glob-whatever-the-order",
        "more-literal-characters-beat-fewer",
        "method-wildcard-with-longer-path-wins",
        "tie-goes-to-the-later-key",
        "tie-goes-to-the-later-key-reversed",
        "case-sensitive-and-method-aware",
    ],
)
def test_matching_patterns_apply_least_specific_first(patterns, expected):
    assert matching_patterns("GET /api/dashboard/", patterns) == expected


def test_layers_override_metric_by_metric_in_documented_order():
    document = {
        "defaults": {"endpoint": {"p95": 100, "p99": 200, "failure_ratio": 0.01}},
        "endpoints": {"GET /api/*": {"p95": 150}},
        "presets": {"stress": {"defaults": {"endpoint": {"p95": 300, "p99": 600}}}},
        "targets": {
            "external": {
                "defaults": {"endpoint": {"p99": 900}},
                "presets": {"stress": {"endpoints": {"GET /api/dashboard/": {"failure_ratio": 0.05}}}},
            }
        },
    }

    assert limits(document, "GET /api/dashboard/") == {"p95": 150, "p99": 200, "failure_ratio": 0.01}
    assert limits(document, "POST /api/x/") == {"p95": 100, "p99": 200, "failure_ratio": 0.01}
    # A preset layer overrides the top level, glob overrides included.
    assert limits(document, "GET /api/dashboard/", preset="stress") == {
        "p95": 300,
        "p99": 600,
        "failure_ratio": 0.01,
    }
    # A target overrides the preset; the target's preset overrides everything.
    assert limits(document, "GET /api/dashboard/", preset="stress", target="external") == {
        "p95": 300,
        "p99": 900,
        "failure_ratio": 0.05,
    }
    assert limits(document, "GET /api/dashboard/", preset="smoke", target="sandbox") == {
        "p95": 150,
        "p99": 200,
        "failure_ratio": 0.01,
    }


def test_a_limit_remembers_where_it_was_set_and_why():
    document = {
        "presets": {"stress": {"endpoints": {"GET /api/*": {"p95": {"value": 300, "reason": "queueing"}}}}}
    }
    rules = Thresholds(source=Path("t.json"), document=document).rules_for(preset="stress", target=None)

    limit = rules.endpoint_limits("GET /api/dashboard/")["p95"]

    assert (limit.value, limit.reason, limit.source) == (
        300,
        "queueing",
        'presets.stress.endpoints["GET /api/*"].p95',
    )


def test_regression_kinds_are_replaced_whole_by_later_layers():
    document = {
        "regression": {
            "min_requests": 20,
            "latency": {"metrics": ["p50", "p95"], "warn": {"relative": 0.1, "absolute_ms": 5}},
            "throughput": {"fail": {"relative": 0.3}},
        },
        "presets": {"stress": {"regression": {"latency": {"metrics": ["p95"], "fail": {"relative": 0.5}}}}},
    }
    rules = (
        Thresholds(source=Path("t.json"), document=document)
        .rules_for(preset="stress", target=None)
        .regression
    )

    assert rules.min_requests == 20
    assert rules.latency.metrics == ("p95",) and rules.latency.warn is None
    assert rules.latency.fail.relative == 0.5 and rules.latency.fail.absolute == 0.0
    assert rules.throughput.fail.relative == 0.3


def test_stop_conditions_are_layered_key_by_key_and_their_reason_stays_in_the_file():
    document = {
        "stop": {"failure_ratio": 0.5, "no_success_s": 15, "reason": "defaults"},
        "presets": {"soak": {"stop": {"no_success_s": 60, "reason": "a long run rides out a hiccup"}}},
        "targets": {"external": {"stop": {"failure_ratio": 0.2, "reason": "protect the host"}}},
    }
    thresholds = Thresholds(source=Path("t.json"), document=document)

    assert thresholds.rules_for(preset="soak", target="external").stop == {
        "failure_ratio": 0.2,
        "no_success_s": 60.0,
    }
    assert thresholds.rules_for(preset=None, target=None).stop == {"failure_ratio": 0.5, "no_success_s": 15.0}
    assert Thresholds(source=Path("t.json"), document={}).rules_for(preset=None, target=None).stop == {}


def test_the_repository_stops_a_real_host_sooner_than_the_stand_in():
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)

    assert thresholds.rules_for(preset="smoke", target="external").stop == {"failure_ratio": 0.2}
    assert thresholds.rules_for(preset="smoke", target="sandbox").stop == {}  # the defaults: 0.5


def _layers(document):
    yield document
    yield from document.get("presets", {}).values()
    for target in document.get("targets", {}).values():
        yield target
        yield from target.get("presets", {}).values()
