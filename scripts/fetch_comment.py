"""Fetch a run's comment artifact for the comment workflow: ``python scripts/fetch_comment.py --help``."""

from loadtest.cli.fetch_comment import main

raise SystemExit(main())
