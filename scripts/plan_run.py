"""Decide the preset, the job time limit and whether the run may become the baseline (= ``loadtest plan``).

The one script that cannot be a plain shim: the workflow's Plan job runs it on the runner's own
python3, before anything is installed, so it finds the package next to it; it needs nothing else.
"""

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, not an installed package
raise SystemExit(importlib.import_module("loadtest.cli.plan").main())
