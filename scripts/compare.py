"""The load-test gate: judge a run against thresholds.json and, optionally, a baseline run.

    python scripts/compare.py RESULTS [--baseline BASELINE] [--thresholds FILE] [--preset NAME]
                              [--summary FILE] [--json FILE]

RESULTS and BASELINE are results bundles or the CSV prefix of a plain ``locust --csv PREFIX`` run.
Prints the markdown summary; exits 0 on pass or warn, 1 on fail, 2 on unusable input or usage.
"""

from loadtest.cli.compare import main

raise SystemExit(main())
