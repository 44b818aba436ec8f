"""Benchmark the stand-in API against a gevent hello-world: ``python scripts/bench_sandbox.py --help``."""

from loadtest.cli.bench_sandbox import main

raise SystemExit(main())
