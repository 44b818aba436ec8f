"""Record a passing run as the next baseline: ``python scripts/record_baseline.py --help``."""

from loadtest.cli.record_baseline import main

raise SystemExit(main())
