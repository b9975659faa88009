#!/usr/bin/env python3
"""Build, serve and check the problem site. Run `python build.py --help`."""

import sys

from staticjudge.cli import main

if __name__ == "__main__":
    sys.exit(main())
