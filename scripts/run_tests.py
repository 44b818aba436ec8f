"""Run the Amal Education load test: ``python scripts/run_tests.py --help`` (= ``loadtest run``)."""

from loadtest.cli.run import main

raise SystemExit(main())
