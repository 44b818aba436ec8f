"""``python -m loadtest.sandbox``: the command ``loadtest sandbox`` (loadtest.cli.sandbox), which the
runner and the benchmarks start as a module. An entry point: nothing imports it."""

import sys

from loadtest.cli.sandbox import main

sys.exit(main())
