"""Calibrate the regression gate on the stand-in API: false alarms and detection, side by side.

    python scripts/calibrate.py [--preset smoke] [-K 10] [-T 20] [--slowdowns 10,20,30]
                                [--run-time 1m] [--users N] [--wait-min S] [--wait-max S]
                                [--endpoint 'GET /api/dashboard/'] [--parallel 4] [--seed 1]
                                [--out results/calibration] [--judge-only]

Runs K + T unchanged runs and T runs per slowdown of the real locustfile, each against its own
stand-in API on 127.0.0.1 with lognormal latency on every endpoint (median 50 ms, p95 2.5 x
median), then prints the table. --judge-only judges the runs already in --out again.
See loadtest/calibration.py for the method.
"""

from loadtest.cli.calibrate import main

raise SystemExit(main())
