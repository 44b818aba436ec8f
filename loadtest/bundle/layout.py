"""The results bundle's layout: the one place that spells its file names.

A bundle is the folder one headless run writes (``results/<preset>-<UTC timestamp>/``)::

    run.json                     facts about the run (RunFacts, loadtest/bundle/facts.py)
    locust_stats.csv             Locust --csv PREFIX output, PREFIX = <bundle>/locust
    locust_stats_history.csv
    locust_failures.csv
    locust_exceptions.csv
    locust.json                  Locust --json-file output: per-endpoint response-time histograms
    report.html                  Locust --html report
    locust.log                   Locust's own log
    server.log                   only with --start: the started API's setup and server output
    server-base.log              only with --base-dir: the same for the base started beside it
    summary.md                   the gate's markdown summary (written after the run)
    verdict.json                 the gate's machine-readable verdict
    trend.html                   the history's charts (loadtest.trend), written with the verdict
    history.json                 only in baseline bundles: rolling history of earlier runs

A run of a base against a head (``--base-host``, loadtest.sides) writes the same files from one
Locust process; its rows are side-tagged: ``GET /api/dashboard/ [head]`` for the paired design,
``GET /api/dashboard/ [base#3]`` for block 3 of the blocks design (``side_row``, ``split_side_row``).

The compare step, the workflows and the baseline artifacts all read this layout; nothing else
spells these file names.
"""

from __future__ import annotations

import re
from pathlib import Path

CSV_PREFIX_NAME = "locust"
RUN_FACTS = "run.json"
STATS_CSV = f"{CSV_PREFIX_NAME}_stats.csv"
HISTORY_CSV = f"{CSV_PREFIX_NAME}_stats_history.csv"
FAILURES_CSV = f"{CSV_PREFIX_NAME}_failures.csv"
EXCEPTIONS_CSV = f"{CSV_PREFIX_NAME}_exceptions.csv"
HISTOGRAMS_JSON = f"{CSV_PREFIX_NAME}.json"
HTML_REPORT = "report.html"
LOCUST_LOG = "locust.log"
SERVER_LOG = "server.log"
BASE_SERVER_LOG = "server-base.log"
SUMMARY_MD = "summary.md"
VERDICT_JSON = "verdict.json"
TREND_PAGE = "trend.html"
BASELINE_HISTORY = "history.json"
LOCUST_FILES = (STATS_CSV, HISTORY_CSV, FAILURES_CSV, EXCEPTIONS_CSV, HISTOGRAMS_JSON, HTML_REPORT)
"""What Locust itself writes into a bundle (the runner masks them once it has ended)."""


SIDES = ("base", "head")
"""The two sides of a run of a base against a head."""
_SIDE_ROW = re.compile(r"^(?P<name>.+) \[(?P<side>base|head)(?:#(?P<block>\d+))?\]$")


def side_row(name: str, side: str, block: int | None = None) -> str:
    """The stats name of ``name`` (``GET /api/dashboard/``) measured on ``side``, in ``block`` if any;
    the endpoint's name stays first, so Locust's Type + Name key keeps its method in front."""
    return f"{name} [{side}]" if block is None else f"{name} [{side}#{block}]"


def split_side_row(row: str) -> tuple[str, str, int | None] | None:
    """(endpoint name, side, block or None) of a side-tagged row; None for any other row."""
    found = _SIDE_ROW.match(row)
    if found is None:
        return None
    block = found["block"]
    return found["name"], found["side"], None if block is None else int(block)


def csv_prefix(bundle_dir: Path) -> Path:
    """The ``--csv`` / ``--json-file`` prefix Locust is given for a bundle."""
    return bundle_dir / CSV_PREFIX_NAME


def stats_csv_of(prefix: Path) -> Path:
    """Locust's stats CSV for a ``--csv`` prefix."""
    return Path(f"{prefix}_stats.csv")


def failures_csv_of(prefix: Path) -> Path:
    return Path(f"{prefix}_failures.csv")


def histograms_of(prefix: Path) -> Path:
    """Locust's ``--json-file`` output for a prefix."""
    return Path(f"{prefix}.json")
