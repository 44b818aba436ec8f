"""Fetch the newest baseline results bundle of a preset: ``python scripts/fetch_baseline.py --help``.

    python scripts/fetch_baseline.py --preset NAME --out DIR [--workflow loadtest.yml] [--branch main]

Exit codes: 0 done, found or not (API failures become found=false with a warning);
1 could not write locally; 2 usage error. Outputs: found, run-id, head-sha.
"""

from loadtest.cli.fetch_baseline import main

raise SystemExit(main())
