"""Write the comment artifact a PR run uploads: ``python scripts/write_comment_artifact.py --help``.

    python scripts/write_comment_artifact.py --summary FILE --pr N --head-sha SHA --out DIR

Exit codes: 0 written; 2 bad input.
"""

from loadtest.cli.write_comment_artifact import main

raise SystemExit(main())
