"""Find the highest request rate this machine reaches with 1 and 2 Locust workers (see ``--help``).

    python scripts/capacity.py [--duration 5] [--users 10 25 50 100 200] [--workers 1 2]

Starts the stand-in API on loopback; every step is bounded in time; installs nothing.
"""

from loadtest.cli.capacity import main

raise SystemExit(main())
