#!/usr/bin/env python3
"""Fetch a run's comment artifact for the comment workflow: ``python scripts/fetch_comment.py --help``.

    python scripts/fetch_comment.py --run-id ID --out DIR

Exit codes: 0 done, found or not (output found=true|false); 1 API failure or unsafe
artifact; 2 usage error.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.github.cli import fetch_comment_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(fetch_comment_main())
