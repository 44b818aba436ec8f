"""Calibrate the regression gate on the stand-in API: ``python scripts/calibrate.py --help``."""

from loadtest.cli.calibrate import main

raise SystemExit(main())
