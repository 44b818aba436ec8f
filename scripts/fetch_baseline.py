"""Fetch the newest baseline results bundle of a preset: ``python scripts/fetch_baseline.py --help``."""

from loadtest.cli.fetch_baseline import main

raise SystemExit(main())
