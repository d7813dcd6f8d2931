"""``python -m corral.bench``: see corral.bench.runner."""

from .runner import main

raise SystemExit(main())
