"""``python -m theory``: see ``theory.pipeline.cli``."""

import sys

from theory.pipeline.cli import main

sys.exit(main())
