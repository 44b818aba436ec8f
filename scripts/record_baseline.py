"""Record a passing default-branch run as the next baseline, with its rolling history.

    python scripts/record_baseline.py RESULTS --previous BASELINE --out OUT [--keep N]

OUT becomes the RESULTS bundle plus history.json: BASELINE's history (or a new one when BASELINE
is missing or empty) with this run appended, runs recorded with other settings dropped, and only
the newest N kept (default: regression.history.keep of thresholds.json for the run, else 20).
Inside GitHub Actions, writes ``recorded=true`` to $GITHUB_OUTPUT. Exit 0, or 2 on unusable input.
"""

from loadtest.cli.record_baseline import main

raise SystemExit(main())
