"""Decide the preset, the job time limit and whether the run may become the baseline (= ``loadtest plan``)."""

from loadtest.cli.plan import main

raise SystemExit(main())
