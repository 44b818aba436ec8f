"""``python -m tools COMMAND``, from the repository root: the research commands (tools.cli)."""

import sys

from tools.cli import main

sys.exit(main())
