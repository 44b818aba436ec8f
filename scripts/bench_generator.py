"""Benchmark the load generator's CPU per 1,000 requests: ``python scripts/bench_generator.py --help``."""

from loadtest.cli.bench_generator import main

raise SystemExit(main())
