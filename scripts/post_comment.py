"""Post or update the sticky load-test comment on a PR: ``python scripts/post_comment.py --help``.

    python scripts/post_comment.py --summary FILE [--pr N]
    python scripts/post_comment.py --artifact DIR [--expected-head-sha SHA] [--summary FILE]

Exit codes: 0 posted, or nothing to post to (summary printed); 1 GitHub failed after
retries; 2 bad input or invalid artifact; 3 refused, the PR head is not the tested commit.
"""

from loadtest.cli.post_comment import main

raise SystemExit(main())
