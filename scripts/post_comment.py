"""Post or update the sticky load-test comment on a PR: ``python scripts/post_comment.py --help``."""

from loadtest.cli.post_comment import main

raise SystemExit(main())
