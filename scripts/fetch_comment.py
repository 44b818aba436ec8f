"""Fetch a run's comment artifact for the comment workflow: ``python scripts/fetch_comment.py --help``.

    python scripts/fetch_comment.py --run-id ID --out DIR

Exit codes: 0 done, found or not (output found=true|false); 1 API failure or unsafe
artifact; 2 usage error.
"""

from loadtest.cli.fetch_comment import main

raise SystemExit(main())
