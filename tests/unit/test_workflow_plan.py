"""The plan of a workflow run and of the action: mode, preset, time limit, baselines, comment, paths."""

import json
from pathlib import Path

import pytest

from loadtest.cli import plan as plan_command
from loadtest.exitcodes import ExitCode
from loadtest.github.commits import is_full_commit
from loadtest.github.workflow_plan import (
    Context,
    PlanError,
    Request,
    named_presets,
    plan_for_event,
    workflow_file,
)
from loadtest.presets import PresetError, load_preset

MAIN = {"repository": {"default_branch": "main"}}
WORKFLOW_REF = "amal-education/api/.github/workflows/load-test.yml@refs/heads/main"
TINY = "# tiny: the caller's own preset.\n# Question: does it answer at all?\nusers = 2\nrun-time = 90s\n"


def context(event_name: str, *, ref: str = "refs/heads/main", event=None, **fields) -> Context:
    return Context(event_name=event_name, ref=ref, event=MAIN if event is None else event, **fields)


def workflow_run(**run) -> Context:
    return context("workflow_run", event={**MAIN, "workflow_run": run})


@pytest.fixture
def caller(tmp_path) -> Path:
    """A caller's workspace with a preset of its own and a thresholds file that names it."""
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "tiny.conf").write_text(TINY, encoding="utf-8")
    limits = {"presets": {"tiny": {}, "smoke": {}}, "targets": {"sandbox": {"presets": {"tiny": {}}}}}
    (tmp_path / "limits.json").write_text(json.dumps(limits), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("event_name", "requested", "preset"),
    [
        ("pull_request", "", "smoke"),
        ("push", "", "smoke"),
        ("schedule", "", "medium"),
        ("workflow_dispatch", "", "smoke"),
        ("workflow_dispatch", "stress", "stress"),
        ("pull_request", "quick", "quick"),  # the action's preset input applies on every event
        ("", "", "smoke"),  # local use, outside Actions
    ],
)
def test_the_preset_is_the_one_asked_for_else_the_events(event_name, requested, preset):
    plan = plan_for_event(context(event_name), Request(preset=requested))

    assert (plan.mode, plan.preset) == ("load-test", preset)


def test_the_time_limit_is_the_presets_run_time_plus_the_setup_margin():
    assert plan_for_event(context("workflow_dispatch"), Request(preset="soak")).timeout_minutes == 30 + 10
    assert plan_for_event(context("pull_request")).timeout_minutes == 1 + 10


@pytest.mark.parametrize(
    ("event_name", "ref", "baseline", "records"),
    [
        ("push", "refs/heads/main", "auto", True),
        ("schedule", "refs/heads/main", "auto", True),
        ("push", "refs/heads/feature", "auto", False),
        ("pull_request", "refs/pull/7/merge", "auto", False),
        ("workflow_dispatch", "refs/heads/main", "auto", False),
        ("push", "refs/heads/main", "none", False),
    ],
)
def test_only_default_branch_pushes_and_schedules_record_a_baseline(event_name, ref, baseline, records):
    plan = plan_for_event(context(event_name, ref=ref), Request(baseline=baseline))

    assert plan.record_baseline is records
    assert plan.fetch_baseline is (baseline == "auto")


def test_the_default_branch_comes_from_the_event():
    trunk = {"repository": {"default_branch": "trunk"}}

    assert plan_for_event(context("push", ref="refs/heads/trunk", event=trunk)).record_baseline
    assert not plan_for_event(context("push", ref="refs/heads/main", event=trunk)).record_baseline


@pytest.mark.parametrize(
    ("event_name", "comment", "writes"),
    [("pull_request", "auto", True), ("pull_request", "off", False), ("push", "auto", False)],
)
def test_only_a_pull_request_writes_the_comment_artifact(event_name, comment, writes):
    assert plan_for_event(context(event_name), Request(comment=comment)).comment_artifact is writes


@pytest.mark.parametrize(
    ("workflow_ref", "workflow"),
    [
        (WORKFLOW_REF, "load-test.yml"),
        ("o/r/.github/workflows/nightly.yaml@refs/pull/7/merge", "nightly.yaml"),
        ("", "loadtest.yml"),  # act and local use do not say: this repository's own file
    ],
)
def test_the_baselines_come_from_the_calling_workflows_own_runs(workflow_ref, workflow):
    assert workflow_file(workflow_ref) == workflow
    assert plan_for_event(context("pull_request", workflow_ref=workflow_ref)).workflow == workflow


def test_workflow_run_of_a_pull_requests_load_test_posts_the_comment():
    plan = plan_for_event(workflow_run(event="pull_request", conclusion="failure"))

    assert (plan.mode, plan.preset, plan.reason) == ("comment", "", "")
    assert plan.outputs()["comment-path"].endswith("/comment/comment")


@pytest.mark.parametrize(
    ("run", "comment", "reason"),
    [
        ({"event": "push", "conclusion": "success"}, "auto", "ran on push, not on a pull request"),
        ({"event": "pull_request", "conclusion": "cancelled"}, "auto", "cancelled"),
        ({"event": "pull_request", "conclusion": "success"}, "off", "comment is off"),
        ({}, "auto", "ran on an unknown event"),
    ],
)
def test_any_other_workflow_run_does_nothing_and_says_why(run, comment, reason):
    plan = plan_for_event(workflow_run(**run), Request(comment=comment))

    assert plan.mode == "skip" and reason in plan.reason


@pytest.mark.parametrize(
    ("event_name", "request_", "message"),
    [
        ("issue_comment", Request(), "does not run on issue_comment: use pull_request, push, schedule"),
        ("pull_request_target", Request(), "does not run on pull_request_target"),
        ("push", Request(baseline="latest"), "baseline must be one of auto, none, got 'latest'"),
        ("push", Request(comment="on"), "comment must be one of auto, off, got 'on'"),
    ],
)
def test_an_event_or_input_it_cannot_work_with_is_refused(event_name, request_, message):
    with pytest.raises(PlanError, match=message):
        plan_for_event(context(event_name), request_)


def test_a_callers_preset_and_thresholds_are_found_in_its_workspace(caller):
    request = Request(preset="tiny", presets_dir=Path("presets"), thresholds=Path("limits.json"))

    plan = plan_for_event(context("pull_request", workspace=caller), request)

    assert plan.preset == "tiny" and plan.timeout_minutes == 2 + 10
    assert plan.presets_dir == caller / "presets" and plan.thresholds == caller / "limits.json"
    assert plan.outputs()["thresholds"] == str(caller / "limits.json")


def test_without_a_thresholds_file_the_actions_own_applies():
    outputs = plan_for_event(context("pull_request")).outputs()

    assert outputs["thresholds"] == "" and outputs["presets-dir"] == ""


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ("absent.json", "thresholds .*absent.json: no such file"),
        ("broken.json", r"broken.json: line 1: invalid JSON"),
        ("typo.json", r"typo.json: targets.sandbox.presets.tinny: 'tinny' is not a preset; the presets are "),
    ],
)
def test_a_thresholds_file_it_cannot_use_is_refused_before_any_load(caller, thresholds, message):
    (caller / "broken.json").write_text("{", encoding="utf-8")
    typo = {"targets": {"sandbox": {"presets": {"tinny": {}}}}}
    (caller / "typo.json").write_text(json.dumps(typo), encoding="utf-8")
    request = Request(presets_dir=Path("presets"), thresholds=Path(thresholds))

    with pytest.raises(PlanError, match=message):
        plan_for_event(context("push", workspace=caller), request)


def test_a_callers_preset_name_in_its_thresholds_needs_its_presets_folder(caller):
    with pytest.raises(PlanError, match="'tiny' is not a preset"):
        plan_for_event(context("push", workspace=caller), Request(thresholds=Path("limits.json")))


def test_named_presets_says_where_each_preset_is_named(caller):
    document = json.loads((caller / "limits.json").read_text(encoding="utf-8"))

    assert named_presets(document) == [
        ("presets.tiny", "tiny"),
        ("presets.smoke", "smoke"),
        ("targets.sandbox.presets.tiny", "tiny"),
    ]
    assert named_presets([]) == [] and named_presets({"targets": {"x": 1}, "presets": []}) == []


def test_every_path_lives_in_the_actions_own_folder_one_per_preset(tmp_path):
    outputs = plan_for_event(context("push", work_dir=tmp_path), Request(preset="quick")).outputs()

    assert outputs["venv"] == str(tmp_path / "venv")
    assert outputs["bundle-path"] == str(tmp_path / "quick" / "results")
    assert outputs["summary-path"] == str(tmp_path / "quick" / "results" / "summary.md")
    assert outputs["verdict-path"] == str(tmp_path / "quick" / "results" / "verdict.json")
    assert outputs["trend-path"] == str(tmp_path / "quick" / "results" / "trend.html")
    for name, folder in (("baseline-path", "baseline"), ("next-baseline-path", "baseline-next")):
        assert outputs[name] == str(tmp_path / "quick" / folder)


def test_the_context_is_read_from_the_runners_environment(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "trunk"}}), encoding="utf-8")
    environ = {
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/trunk",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKFLOW_REF": WORKFLOW_REF,
        "GITHUB_WORKSPACE": str(tmp_path / "workspace"),
        "RUNNER_TEMP": str(tmp_path / "temp"),
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "2",
    }

    read = Context.from_environ(environ)

    assert (read.event_name, read.ref, read.workflow_ref) == ("push", "refs/heads/trunk", WORKFLOW_REF)
    assert read.event["repository"]["default_branch"] == "trunk"
    assert (read.workspace, read.work_dir) == (tmp_path / "workspace", tmp_path / "temp" / "amal-loadtest")
    assert plan_for_event(read).results_artifact == "loadtest-results-smoke-4242-2"


def test_the_command_writes_every_output_for_the_steps(call_main, caller, tmp_path):
    output = tmp_path / "github_output"
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_WORKSPACE": str(caller),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
    }

    ran = call_main(
        plan_command.main, "--preset", "tiny", "--presets-dir", "presets", "--thresholds", "", env=env
    )

    assert ran.returncode == ExitCode.OK, ran.stderr
    written = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    assert written["mode"] == "load-test" and written["preset"] == "tiny"
    assert written["comment-artifact"] == "true" and written["thresholds"] == ""
    assert written["bundle-path"] == str(tmp_path / "amal-loadtest" / "tiny" / "results")
    assert "preset=tiny\n" in ran.stdout


def test_the_presets_folder_may_come_from_the_setting(call_main, caller):
    env = {"LOADTEST_PRESETS_DIR": str(caller / "presets")}

    assert call_main(plan_command.main, "--preset", "tiny", env=env).returncode == ExitCode.OK


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--preset", "nope"],
            "loadtest plan: error: unknown preset 'nope'; choose one of: medium, quick, smoke",
        ),
        (["--presets-dir", "absent"], "loadtest plan: error: presets folder "),
        (["--baseline", "latest"], "argument --baseline: invalid choice: 'latest'"),
    ],
)
def test_the_command_refuses_bad_input_in_one_line(call_main, argv, message):
    ran = call_main(plan_command.main, *argv)

    assert ran.returncode == ExitCode.USAGE
    assert message in ran.stderr and ran.stderr.count("\n") == 1


def test_a_skipped_workflow_run_says_why_in_a_notice(call_main, tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"event": "push"}}), encoding="utf-8")
    env = {"GITHUB_EVENT_NAME": "workflow_run", "GITHUB_EVENT_PATH": str(event), "GITHUB_ACTIONS": "true"}

    ran = call_main(plan_command.main, env=env)

    assert ran.returncode == ExitCode.OK
    assert "::notice::nothing to do: the load test ran on push, not on a pull request" in ran.stdout
    assert "mode=skip" in ran.stdout


def test_a_preset_of_the_callers_may_not_replace_a_built_in_one(tmp_path):
    (tmp_path / "smoke.conf").write_text(TINY, encoding="utf-8")

    with pytest.raises(PresetError, match="'smoke' is a built-in preset; give yours another name"):
        plan_for_event(context("push"), Request(presets_dir=tmp_path))
    assert load_preset("smoke").path.parent.name == "presets", "the built-in one is untouched"


BASE_SHA = "b" * 40


def test_a_pull_request_that_measures_its_base_gets_the_base_run_time_in_its_time_limit(caller):
    (caller / "presets" / "tiny.conf").write_text(TINY + "base-run-time = 4m\n", encoding="utf-8")
    event = {"pull_request": {"base": {"sha": BASE_SHA}}}
    request = Request(preset="tiny", presets_dir=Path("presets"), start=True)

    with_base = plan_for_event(context("pull_request", event=event, workspace=caller), request)
    alone = plan_for_event(context("push", workspace=caller), request)

    assert (with_base.timeout_minutes, alone.timeout_minutes) == (4 + 10, 2 + 10)


@pytest.mark.parametrize(
    ("event_name", "compare_base", "start", "expected"),
    [
        ("pull_request", "auto", True, BASE_SHA),  # a started API's pull request measures its base
        ("pull_request", "auto", False, ""),  # a host or the stand-in: no base to start
        ("pull_request", "false", True, ""),
        ("push", "auto", True, ""),  # the default branch is judged by its history
    ],
)
def test_a_pull_requests_base_is_measured_beside_its_started_head(event_name, compare_base, start, expected):
    event = {"pull_request": {"base": {"sha": BASE_SHA}}} if event_name == "pull_request" else {}
    plan = plan_for_event(context(event_name, event=event), Request(compare_base=compare_base, start=start))
    outputs = plan.outputs()
    assert outputs["base-sha"] == expected
    assert outputs["compare-base"] == ("true" if expected else "false")
    assert bool(outputs["base-dir"]) == bool(expected)


@pytest.mark.parametrize(
    ("event_name", "start", "message"),
    [("push", True, "needs a pull_request event"), ("pull_request", False, "set `start`")],
)
def test_compare_base_true_without_a_base_to_start_is_refused(event_name, start, message):
    event = {"pull_request": {"base": {"sha": BASE_SHA}}} if event_name == "pull_request" else {}
    with pytest.raises(PlanError, match=message):
        plan_for_event(context(event_name, event=event), Request(compare_base="true", start=start))


@pytest.mark.parametrize("pull_request", [5, "x", None, [], {"base": 5}, {"base": {"sha": ["a"]}}])
def test_a_pull_request_event_of_another_shape_has_no_base_and_no_traceback(pull_request):
    plan = plan_for_event(
        context("pull_request", event={"pull_request": pull_request}),
        Request(compare_base="auto", start=True),
    )
    assert plan.outputs()["base-sha"] == "" and plan.outputs()["compare-base"] == "false"
    with pytest.raises(PlanError, match="needs a pull_request event with its base commit"):
        plan_for_event(
            context("pull_request", event={"pull_request": pull_request}),
            Request(compare_base="true", start=True),
        )


@pytest.mark.parametrize("value", [5, "x", []])
def test_a_repository_or_workflow_run_of_another_shape_is_no_traceback(value):
    push = plan_for_event(context("push", event={"repository": value}))
    assert push.outputs()["record-baseline"] == "true"  # refs/heads/main, the fallback default branch
    comment = plan_for_event(context("workflow_run", event={"workflow_run": value}))
    assert comment.mode == "skip" and "unknown event" in comment.reason


def test_one_definition_of_a_full_commit_id():
    # loadtest.github.commits: a SHA-1 or a SHA-256 id in lower-case hex, nothing git would resolve.
    assert is_full_commit("a" * 40) and is_full_commit("0" * 64)
    assert not any(is_full_commit(text) for text in ("a" * 39, "A" * 40, "a" * 41, "main", "a" * 40 + "\n"))
