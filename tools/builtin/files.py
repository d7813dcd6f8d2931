"""``read_file`` and ``list_dir`` confined to one root directory.

A requested path must be relative and must not contain ``..``. It is then opened one component
at a time from a descriptor of the root, never letting the kernel follow a symlink (see
``_beneath``): a symlink pointing outside the root is refused, one pointing to another place
inside the root is fine, and a directory swapped for a symlink mid-lookup cannot lead outside.
FIFOs, sockets and devices are refused without blocking; symlink loops are refused. Reads are
capped in bytes, listings in entries. Messages name paths as the model gave them, never the
root's absolute path. There are no write tools here.

Example::

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "notes.txt").write_text("hello")
    >>> tools = file_tools(root)
    >>> tools.get("read_file").func("notes.txt")
    'hello'
"""

from __future__ import annotations

import os
import stat

from corral.exceptions import ModelRetry

from ..definition import Tool
from ..registry import Registry
from ._beneath import Root, open_beneath

__all__ = ["file_tools", "list_dir_tool", "read_file_tool"]

DEFAULT_MAX_BYTES = 64_000
DEFAULT_MAX_ENTRIES = 500


def _read_capped(fd: int, max_bytes: int) -> bytes:
    chunks, left = [], max_bytes
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read(root: Root, path: str, max_bytes: int) -> tuple[bytes, int]:
    fd, info = open_beneath(root, path)
    try:
        if stat.S_ISDIR(info.st_mode):
            raise ModelRetry(f"{path!r} is a directory; use list_dir to list it.")
        return _read_capped(fd, max_bytes), info.st_size
    finally:
        os.close(fd)


def read_file_tool(
    root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, name: str = "read_file"
) -> Tool:
    """A tool reading UTF-8 text files under ``root`` (at most ``max_bytes`` per read).

    Example::

        >>> import tempfile
        >>> read_file_tool(tempfile.mkdtemp()).name
        'read_file'
    """
    base = Root.of(root)

    def read_file(path: str) -> str:
        """Read a text file.

        Args:
            path: File path relative to the root directory, e.g. "docs/intro.md".
        """
        data, size = _read(base, path, max_bytes)
        if b"\x00" in data[:8192]:
            raise ModelRetry(f"{path!r} is a binary file ({size} bytes); only text files can be read.")
        text = data.decode("utf-8", errors="replace")
        if size > len(data):
            text += f"\n[... truncated: showing the first {len(data)} of {size} bytes]"
        return text

    return Tool.from_function(read_file, name=name)


def _listing(root: Root, path: str, max_entries: int) -> tuple[list[str], int]:
    fd, info = open_beneath(root, path)
    try:
        if not stat.S_ISDIR(info.st_mode):
            raise ModelRetry(f"{path!r} is a file, not a directory; use read_file to read it.")
        # Listed through the descriptor: the entries are those of the directory we opened.
        with os.scandir(fd) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
            return [_describe(entry) for entry in entries[:max_entries]], len(entries)
    finally:
        os.close(fd)


def list_dir_tool(
    root: str | os.PathLike[str], *, max_entries: int = DEFAULT_MAX_ENTRIES, name: str = "list_dir"
) -> Tool:
    """A tool listing a directory under ``root``: one entry a line, directories end with ``/``.

    Example::

        >>> import tempfile
        >>> list_dir_tool(tempfile.mkdtemp()).func(".")
        '(empty directory)'
    """
    base = Root.of(root)

    def list_dir(path: str = ".") -> str:
        """List the files and folders in a directory.

        Args:
            path: Directory relative to the root directory; "." is the root itself.
        """
        lines, total = _listing(base, path, max_entries)
        if total > max_entries:
            lines.append(f"[... {total - max_entries} more entries not shown]")
        return "\n".join(lines) if lines else "(empty directory)"

    return Tool.from_function(list_dir, name=name)


def _describe(entry: os.DirEntry[str]) -> str:
    try:
        if entry.is_symlink():
            return f"{entry.name} (symlink)"
        if entry.is_dir(follow_symlinks=False):
            return f"{entry.name}/"
        return f"{entry.name} ({entry.stat(follow_symlinks=False).st_size} bytes)"
    except OSError:  # removed while listing
        return entry.name


def file_tools(
    root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES, max_entries: int = DEFAULT_MAX_ENTRIES
) -> Registry:
    """``read_file`` and ``list_dir`` bound to ``root``, as a Registry to merge into yours.

    Raises NotADirectoryError if ``root`` is not a directory, and UsageError on a platform
    without ``openat``-style file access (the tools would not be safe there).
    """
    return Registry([read_file_tool(root, max_bytes=max_bytes), list_dir_tool(root, max_entries=max_entries)])
