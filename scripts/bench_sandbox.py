"""Benchmark the sandbox against a bare gevent hello-world with wrk (see ``--help``).

    python scripts/bench_sandbox.py [--duration 10] [--json FILE]

Needs wrk (Debian package: apt-get install -y wrk); installs nothing. Loopback only.
Exit codes: 0 targets met (p50 < 3 ms, >= 0.7 of hello-world's requests/s); 1 missed;
2 wrk missing or the run failed.
"""

from loadtest.cli.bench_sandbox import main

raise SystemExit(main())
