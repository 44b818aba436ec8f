#!/usr/bin/env python3
"""Benchmark the load generator's CPU per 1,000 requests (see ``--help``).

    python scripts/bench_generator.py [--duration 5] [--users 20] [--repeat 3]

Starts the stand-in API on loopback; every run is bounded in time; installs nothing.
Exit codes: 0 the full locustfile costs <= 1.5 x a bare FastHttpUser; 1 it costs more; 2 could not run.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.bench.generator import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
