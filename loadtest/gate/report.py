"""run_gate: read a run (and its baseline), apply thresholds.json, and hold the verdict.

GateReport is plain data; loadtest.gate.render shows it (markdown, console, verdict.json).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from loadtest.bundle import AGGREGATE, BASELINE_HISTORY, BundleError, EndpointStats, Results, read_results
from loadtest.exitcodes import ExitCode
from loadtest.gate.errors import GateInputError
from loadtest.gate.findings import RUN, Finding, Verdict, rank, verdict_of
from loadtest.gate.history import History, HistoryError, read_history
from loadtest.gate.noise import HistoryDecision
from loadtest.gate.paired import BaseComparison, judge_against_base
from loadtest.gate.regression import BaselineStatus, Comparison, RegressionDecision, compare_with_baseline
from loadtest.gate.rules import check_run
from loadtest.gate.series import Trend
from loadtest.gate.stats import TYPICAL
from loadtest.gate.tails import MIN_TAIL
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS, RegressionRules, load_thresholds
from loadtest.gate.units import format_pct, format_signed_pct
from loadtest.text.untrusted import SENTENCE_LIMIT, code_span, markdown_text


@dataclass(frozen=True, kw_only=True)
class GateReport:
    """The gate's verdict on one run, with everything the summary shows."""

    results: Results
    baseline: Results | None
    preset: str | None
    target: str | None
    thresholds: Path
    findings: tuple[Finding, ...]
    """Worst first: failures before warnings; the run, then endpoints worst first, then the aggregate."""
    notes: tuple[str, ...]
    baseline_status: BaselineStatus
    now: datetime
    history_runs: int = 0
    """Runs of the baseline history the latency decision used; 0 when it used the fixed tolerances."""
    trend: Trend | None = None
    """The compatible history this run was compared with, this run last, and the bands it was judged
    against; None without a history (the charts draw from it: loadtest.gate.render.charts, loadtest.trend)."""
    base: BaseComparison | None = None
    """The paired verdict when the run measured a base beside the head (loadtest.gate.paired)."""

    @property
    def comparison(self) -> str:
        """What the run was compared with: ``base`` (same run), ``history``, ``baseline`` or ``none``."""
        if self.base is not None:
            return "base"
        if self.history_runs:
            return "history"
        return "baseline" if self.baseline_status == "compared" else "none"

    @property
    def interrupted(self) -> bool:
        """The run was cut short by a signal (run.json): its figures are not the preset's."""
        return bool(self.results.facts and self.results.facts.interrupted)

    @property
    def verdict(self) -> Verdict:
        return "incomplete" if self.interrupted else verdict_of(self.findings)

    @property
    def exit_code(self) -> ExitCode:
        """A failed verdict fails the CI step, an incomplete one too (its own code); warnings only show."""
        return {"fail": ExitCode.FAILED, "incomplete": ExitCode.INCOMPLETE}.get(self.verdict, ExitCode.OK)

    def endpoints_worst_first(self) -> list[EndpointStats]:
        """Endpoints ordered by their worst finding, then how many, then p95."""
        return sorted(self.results.endpoints.values(), key=self._badness)

    def findings_for(self, scope: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.scope == scope]

    def _badness(self, row: EndpointStats) -> tuple[int, int, float, str]:
        mine = self.findings_for(row.name)
        worst = max((rank(finding.level) for finding in mine), default=0)
        return (-worst, -len(mine), -(row.value("p95") or 0.0), row.name)


def run_gate(
    results: Path,
    *,
    baseline: Path | None = None,
    thresholds_path: Path = DEFAULT_THRESHOLDS,
    preset: str | None = None,
    now: datetime | None = None,
    decide: RegressionDecision | None = None,
) -> GateReport:
    """Judge the run at ``results`` (a bundle folder or a CSV prefix); GateInputError on unusable input."""
    thresholds = load_thresholds(Path(thresholds_path))
    current = _read("results", results)
    previous = _read("baseline", baseline) if baseline is not None else None
    facts = current.facts
    preset = preset or (facts.preset if facts else None)
    target = facts.target if facts else None
    rules = thresholds.rules_for(preset=preset, target=target)
    findings, notes = check_run(current, rules)
    notes[:0] = current.notes
    history_notes: list[str] = []
    history: History | None = None
    if decide is None and previous is not None and baseline is not None:
        decide, history, history_notes = _history_decision(
            Path(baseline), current, previous, rules.regression, preset
        )
    base = None
    if facts is not None and facts.design and rules.regression.base is not None:
        # A base measured beside the head in this run: the paired verdict, not a history's band.
        base = judge_against_base(current, rules.regression.base, min_requests=rules.regression.min_requests)
        comparison = Comparison(status="compared", findings=base.findings, notes=base.notes)
    else:
        comparison = compare_with_baseline(current, previous, rules.regression, preset=preset, decide=decide)
    history_runs = 0
    trend = None
    if comparison.status == "compared":
        if isinstance(decide, HistoryDecision):
            history_runs = decide.runs
            history_notes += _fallback_note(decide)
        notes += history_notes
        if history:
            bands = decide.bands if isinstance(decide, HistoryDecision) else {}
            trend = Trend.of_run(history, current, bands)
    if facts is None and preset is None:
        notes.insert(0, "No run.json and no --preset: the top-level limits of the thresholds file apply.")
    report = GateReport(
        results=current,
        baseline=previous,
        preset=preset,
        target=target,
        thresholds=Path(thresholds_path),
        findings=(*findings, *comparison.findings),
        notes=(*notes, *comparison.notes),
        baseline_status=comparison.status,
        now=now or datetime.now(UTC),
        history_runs=history_runs,
        trend=trend,
        base=base,
    )
    return replace(report, findings=_worst_first(report))


def _read(label: str, path: Path) -> Results:
    try:
        return read_results(Path(path))
    except BundleError as exc:
        raise GateInputError(f"{label}: {exc}") from None


def _history_decision(
    baseline: Path, current: Results, previous: Results, rules: RegressionRules, preset: str | None
) -> tuple[HistoryDecision | None, History | None, list[str]]:
    """The noise-aware decision when thresholds.json asks for it and the baseline has enough history,
    and the compatible history it read (for the charts, even when too short for a band)."""
    rule = rules.history
    if rule is None or rules.latency is None:
        return None, None, []
    path = baseline / BASELINE_HISTORY
    if not path.is_file():
        fallback = f"latency judged by the fixed tolerances against one run (a band needs {rule.min_runs})"
        return None, None, [f"The baseline has no history ({BASELINE_HISTORY}): {fallback}."]
    try:
        history = read_history(path)
    except HistoryError as exc:
        raise GateInputError(f"baseline: {exc}") from None
    compatible, left_out = history.compatible_with(current.facts, preset=preset)
    notes = []
    if left_out:
        settings = "; ".join(markdown_text(reason, limit=SENTENCE_LIMIT) for reason in left_out)
        notes.append(f"Left out of the baseline history, other settings: {settings}.")
    if len(compatible) < rule.min_runs:
        notes.append(
            f"Only {len(compatible)} compatible run{'s' * (len(compatible) != 1)} in the baseline history "
            f"({rule.min_runs} needed): latency judged by the fixed tolerances against the latest run."
        )
        return None, compatible, notes
    decision = HistoryDecision(compatible, rule, current=current, baseline=previous, rules=rules)
    fail_rate = rule.levels["fail"][0] if "fail" in rule.levels else None
    rate = f"at most {format_pct(fail_rate)} false alarms per run, " if fail_rate else ""
    notes.append(
        f"Latency judged against the band of the last {len(compatible)} runs "
        f"({rate}{decision.tests} metrics tested at once, Holm); failures against the latest run."
    )
    if TYPICAL in rule.metrics:
        notes.append(
            "Typical response time: the geometric mean of the middle 80% of a row's response times. "
            "Each endpoint is judged relative to the run's other endpoints (this run they moved "
            f"{format_signed_pct(decision.run_shift - 1, 1)} together), "
            "the aggregate against its own history."
        )
    return decision, compatible, notes


def _fallback_note(decision: HistoryDecision) -> list[str]:
    notes = []
    if decision.untested:
        counts = ", ".join(
            f"{metric} on {rows} row{'s' * (rows != 1)}" for metric, rows in decision.untested.items()
        )
        notes.append(f"Not judged, fewer than {MIN_TAIL} requests slower than the percentile: {counts}.")
    if decision.fallback_rows:
        names = ", ".join(code_span(name) for name in decision.fallback_rows)
        notes.append(
            f"Fewer than {decision.rule.min_runs} runs of history with enough requests, "
            f"so judged by the fixed tolerances: {names}."
        )
    return notes


def _worst_first(report: GateReport) -> tuple[Finding, ...]:
    """Failures before warnings; within a level the run, then endpoints worst first, then the aggregate."""
    order = {RUN: 0} | {row.name: place for place, row in enumerate(report.endpoints_worst_first(), start=1)}
    order[AGGREGATE] = len(order) + 1
    return tuple(sorted(report.findings, key=lambda f: (-rank(f.level), order.get(f.scope, len(order)))))
