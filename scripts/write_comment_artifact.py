#!/usr/bin/env python3
"""Write the comment artifact a PR run uploads: ``python scripts/write_comment_artifact.py --help``.

    python scripts/write_comment_artifact.py --summary FILE --pr N --head-sha SHA --out DIR

Exit codes: 0 written; 2 bad input.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.github.cli import write_comment_artifact_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(write_comment_artifact_main())
