#!/usr/bin/env python3
"""Find the highest request rate this machine reaches with 1 and 2 Locust workers (see ``--help``).

    python scripts/capacity.py [--duration 5] [--users 10 25 50 100 200] [--workers 1 2]

Starts the stand-in API on loopback; every step is bounded in time; installs nothing.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.bench.capacity import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
