"""``python -m rnnlint``."""

import sys

from rnnlint.cli import main

sys.exit(main())
