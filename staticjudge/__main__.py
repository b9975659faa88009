"""``python -m staticjudge``: the same command line as ``staticjudge``."""

import sys

from .cli import main

sys.exit(main())
