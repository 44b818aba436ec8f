"""``python -m loadtest COMMAND``: the same as the ``loadtest`` command (loadtest.cli). An entry point:
nothing imports it."""

import sys

from loadtest.cli import main

sys.exit(main())
