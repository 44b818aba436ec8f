#!/usr/bin/env python3
"""Run the Amal Education load test: ``python scripts/run_tests.py --help``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.runner import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
