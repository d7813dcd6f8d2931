"""``python -m corral``: the same CLI as the ``corral`` console script."""

import sys

from .cli import main

sys.exit(main())
