"""``read_file`` and ``list_dir`` confined to one root directory.

A requested path must be relative, must not contain ``..``, and after resolving every symlink
it must still lie inside the root: a symlink pointing outside is refused, one pointing to
another place inside the root is fine. The final open does not follow symlinks, so a link
swapped in between the check and the open is refused too. Reads are capped in bytes.

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
from pathlib import Path, PurePosixPath

from corral.exceptions import ModelRetry

from ..registry import Registry
from ..definition import Tool

__all__ = ["file_tools", "read_file_tool", "list_dir_tool", "resolve_inside"]

DEFAULT_MAX_BYTES = 64_000
DEFAULT_MAX_ENTRIES = 500


def resolve_inside(root: Path, requested: str) -> Path:
    """Resolve ``requested`` under ``root`` or raise ModelRetry saying why it is refused."""
    if not isinstance(requested, str) or "\x00" in requested:
        raise ModelRetry("The path must be a plain string.")
    rel = PurePosixPath(requested.replace("\\", "/"))
    if rel.is_absolute() or requested.startswith(("/", "\\")) or (len(requested) > 1 and requested[1] == ":"):
        raise ModelRetry(f"Path {requested!r} is absolute; give a path relative to the root directory.")
    if ".." in rel.parts:
        raise ModelRetry(f"Path {requested!r} contains '..'; only paths inside the root directory are allowed.")
    base = root.resolve(strict=True)
    target = (base / rel).resolve(strict=False)
    if target != base and base not in target.parents:
        raise ModelRetry(f"Path {requested!r} leads outside the root directory (through a symlink); refused.")
    if not target.exists():
        raise ModelRetry(f"Path {requested!r} does not exist. Use list_dir to see what is there.")
    return target


def _read_capped(path: Path, max_bytes: int) -> tuple[bytes, int]:
    # O_NOFOLLOW: if the final component became a symlink after the check, the open fails.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ModelRetry(f"Cannot open {path.name!r}: {exc.strerror}.") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ModelRetry(f"{path.name!r} is not a regular file.")
        return handle.read(max_bytes), info.st_size


def read_file_tool(root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
                   name: str = "read_file") -> Tool:
    """A tool reading UTF-8 text files under ``root`` (at most ``max_bytes`` per read)."""
    base = Path(root)

    def read_file(path: str) -> str:
        """Read a text file.

        Args:
            path: File path relative to the root directory, e.g. "docs/intro.md".
        """
        target = resolve_inside(base, path)
        if target.is_dir():
            raise ModelRetry(f"{path!r} is a directory; use list_dir to list it.")
        data, size = _read_capped(target, max_bytes)
        if b"\x00" in data[:8192]:
            raise ModelRetry(f"{path!r} is a binary file ({size} bytes); only text files can be read.")
        text = data.decode("utf-8", errors="replace")
        if size > len(data):
            text += f"\n[... truncated: showing the first {len(data)} of {size} bytes]"
        return text

    return Tool.from_function(read_file, name=name)


def list_dir_tool(root: str | os.PathLike[str], *, max_entries: int = DEFAULT_MAX_ENTRIES,
                  name: str = "list_dir") -> Tool:
    """A tool listing a directory under ``root``: one entry a line, directories end with ``/``."""
    base = Path(root)

    def list_dir(path: str = ".") -> str:
        """List the files and folders in a directory.

        Args:
            path: Directory relative to the root directory; "." is the root itself.
        """
        target = resolve_inside(base, path)
        if not target.is_dir():
            raise ModelRetry(f"{path!r} is a file, not a directory; use read_file to read it.")
        entries = sorted(target.iterdir(), key=lambda p: p.name)
        lines = [_describe(p) for p in entries[:max_entries]]
        if len(entries) > max_entries:
            lines.append(f"[... {len(entries) - max_entries} more entries not shown]")
        return "\n".join(lines) if lines else "(empty directory)"

    return Tool.from_function(list_dir, name=name)


def _describe(path: Path) -> str:
    if path.is_symlink():
        return f"{path.name} (symlink)"
    if path.is_dir():
        return f"{path.name}/"
    try:
        return f"{path.name} ({path.stat().st_size} bytes)"
    except OSError:
        return path.name


def file_tools(root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_entries: int = DEFAULT_MAX_ENTRIES) -> Registry:
    """``read_file`` and ``list_dir`` bound to ``root``, as a Registry to merge into yours."""
    if not Path(root).is_dir():
        raise NotADirectoryError(f"file_tools root {str(root)!r} is not a directory")
    return Registry([read_file_tool(root, max_bytes=max_bytes), list_dir_tool(root, max_entries=max_entries)])

