"""The ``corral`` command line: ``corral = "corral.cli:main"`` (also ``python -m corral``).

``main`` parses the arguments and dispatches; ``commands`` (run, batch, tools, render), ``chat`` and
``demo`` hold the commands; ``output`` and ``progress`` draw on the terminal. The batch runner's
core, for Python callers, is ``corral.batch``.

Example::

    >>> from corral.cli import main
    >>> main(["tools", "--tools", "corral.tools.builtin:calculator", "--names"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

from .main import (
    EXIT_INTERRUPTED,
    EXIT_NOT_ANSWERED,
    EXIT_OK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    build_parser,
    main,
)

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_NOT_ANSWERED", "EXIT_USAGE", "EXIT_RUNTIME", "EXIT_INTERRUPTED"]
