"""``python -m benchmarks``: run the suite and print the table (see run.py)."""

import sys

from benchmarks.run import main

sys.exit(main())
