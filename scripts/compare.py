"""The load-test gate, a run against thresholds.json and a baseline: ``python scripts/compare.py --help``."""

from loadtest.cli.compare import main

raise SystemExit(main())
