"""`python -m tests.corpus CORPUS [--json report.json] [--jobs N]`."""

import sys

from .harness import main

if __name__ == "__main__":
    sys.exit(main())
