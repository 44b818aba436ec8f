#!/usr/bin/env python3
"""Fetch the newest baseline results bundle of a preset: ``python scripts/fetch_baseline.py --help``.

    python scripts/fetch_baseline.py --preset NAME --out DIR [--workflow loadtest.yml] [--branch main]

Exit codes: 0 done, found or not (API failures become found=false with a warning);
1 could not write locally; 2 usage error. Outputs: found, run-id, head-sha.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.github.cli import fetch_baseline_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(fetch_baseline_main())
