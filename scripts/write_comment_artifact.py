"""Write the comment artifact a PR run uploads: ``python scripts/write_comment_artifact.py --help``."""

from loadtest.cli.write_comment_artifact import main

raise SystemExit(main())
