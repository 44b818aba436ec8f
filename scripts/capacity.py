"""The highest request rate with 1 and 2 Locust workers: ``python scripts/capacity.py --help``."""

from loadtest.cli.capacity import main

raise SystemExit(main())
