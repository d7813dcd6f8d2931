"""Built-in tools, each opt-in and safe by default.

Nothing here is registered anywhere until you add it to your own Registry. Tools that need
configuration (a root directory, an index, network policy) are made by factories.

Example::

    >>> from corral.tools import Registry
    >>> from corral.tools.builtin import calculator
    >>> Registry([calculator]).names
    ['calculator']
"""

from __future__ import annotations

from .calculator import calculator, evaluate
from .documents import DocumentIndex, Hit, search_tool
from .files import file_tools, list_dir_tool, read_file_tool
from .web import check_address, fetch_url, http_get

__all__ = [
    "calculator",
    "evaluate",
    "fetch_url",
    "http_get",
    "check_address",
    "file_tools",
    "read_file_tool",
    "list_dir_tool",
    "DocumentIndex",
    "Hit",
    "search_tool",
]
