"""Benchmark the load generator's CPU per 1,000 requests (see ``--help``).

    python scripts/bench_generator.py [--duration 5] [--users 20] [--repeat 3]

Starts the stand-in API on loopback; every run is bounded in time; installs nothing.
Exit codes: 0 the full locustfile costs <= 1.5 x a bare FastHttpUser; 1 it costs more; 2 could not run.
"""

from loadtest.cli.bench_generator import main

raise SystemExit(main())
