"""Open a path beneath a root directory without ever letting the kernel follow a symlink.

Checking a path and then opening it is a race: a directory swapped for a symlink in between
leads the open outside the root. So nothing here opens a path string. The walk starts from a
descriptor of the root and opens one component at a time relative to its parent's descriptor
(``openat``), with ``O_NOFOLLOW`` (and ``O_DIRECTORY`` for directories). A symlink is never
followed by the kernel: its target is read and walked the same way, ``..`` pops a directory
this walk itself entered (and is refused at the root), an absolute target must name a place
under the root, and more than ``MAX_SYMLINKS`` links is refused as a loop. Files that are not
regular files or directories (FIFOs, sockets, devices) are refused before they are opened, and
opened with ``O_NONBLOCK`` so that one swapped in meanwhile cannot block; ``fstat`` rechecks.

Refusals are ``ModelRetry`` messages that name the path as the model gave it, never the root.
The root itself is trusted configuration: it is opened by its path at each lookup.

Example::

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "a.txt").write_text("hi")
    >>> fd, info = open_beneath(Root.of(root), "a.txt")
    >>> os.read(fd, 10), os.close(fd)
    (b'hi', None)
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import PurePosixPath

from corral.exceptions import ModelRetry, UsageError

__all__ = ["MAX_SYMLINKS", "Root", "open_beneath", "relative_parts", "supported"]

MAX_SYMLINKS = 40  # as Linux allows per lookup
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_RACED = {errno.ELOOP, errno.ENOTDIR, errno.ENXIO, errno.ENOENT}  # the entry changed after lstat


def supported() -> bool:
    """True where ``openat``-style calls (``dir_fd=``) and ``O_NOFOLLOW`` exist (Linux, macOS, BSD)."""
    return (
        hasattr(os, "O_NOFOLLOW")
        and hasattr(os, "O_DIRECTORY")
        and {os.open, os.stat, os.readlink} <= os.supports_dir_fd
        and os.scandir in os.supports_fd
    )


@dataclass(frozen=True, kw_only=True)
class Root:
    """A root directory: its path, and the path parts an absolute symlink target may start with."""

    path: str
    prefixes: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, root: str | os.PathLike[str]) -> Root:
        """Check the platform and the directory; raise UsageError or NotADirectoryError."""
        if not supported():
            raise UsageError(
                "file tools need openat-style file access (os.open with dir_fd and O_NOFOLLOW), "
                "which this platform lacks; they refuse to run rather than risk a symlink race."
            )
        if not os.path.isdir(root):
            raise NotADirectoryError(f"file_tools root {os.fspath(root)!r} is not a directory")
        path = os.path.abspath(root)
        prefixes = {PurePosixPath(path).parts, PurePosixPath(os.path.realpath(path)).parts}
        return cls(path=path, prefixes=tuple(prefixes))


def relative_parts(requested: object) -> list[str]:
    """The components of a model-given path; refuse absolute paths, ``..`` and non-strings."""
    if not isinstance(requested, str) or "\x00" in requested:
        raise ModelRetry("The path must be a plain string.")
    rel = PurePosixPath(requested.replace("\\", "/"))
    if rel.is_absolute() or requested.startswith(("/", "\\")) or (len(requested) > 1 and requested[1] == ":"):
        raise ModelRetry(f"Path {requested!r} is absolute; give a path relative to the root directory.")
    if ".." in rel.parts:
        raise ModelRetry(f"Path {requested!r} contains '..'; only paths inside the root directory are allowed.")
    return list(rel.parts)


def open_beneath(root: Root, requested: str) -> tuple[int, os.stat_result]:
    """Open ``requested`` under ``root``: a descriptor (yours to close) and its ``fstat``.

    The result is a regular file or a directory; anything else is refused with ModelRetry.
    """
    parts = relative_parts(requested)
    walk = _Walk(root, requested)
    try:
        return walk.run(parts)
    finally:
        walk.close()


class _Walk:
    """One lookup: a stack of open directory descriptors from the root down."""

    def __init__(self, root: Root, requested: str) -> None:
        self.root, self.requested, self.links, self.retries = root, requested, 0, 0
        try:
            self.fds = [os.open(root.path, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)]
        except OSError as exc:
            raise ModelRetry(f"The root directory is not available ({exc.strerror}); tell the user.") from None

    def run(self, parts: list[str]) -> tuple[int, os.stat_result]:
        pending = parts[::-1]
        while pending:
            part = pending.pop()
            if part == "..":
                self._up()
            elif part not in ("", "."):
                pending.extend(self._step(part, last=not pending)[::-1])
        fd = self.fds.pop()
        return fd, os.fstat(fd)

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()

    def _step(self, part: str, *, last: bool) -> list[str]:
        """Enter ``part`` (push its descriptor) or return what to walk instead of it."""
        info = self._lstat(part)
        if stat.S_ISLNK(info.st_mode):
            return self._follow(part)
        _require_file_or_dir(info, self.requested)
        if not last and not stat.S_ISDIR(info.st_mode):
            raise self._refusal(OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)))
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC | (0 if last else os.O_DIRECTORY)
        try:
            fd = os.open(part, flags, dir_fd=self.fds[-1])
        except OSError as exc:
            if exc.errno in _RACED:  # swapped since the lstat: look again (counted, so it ends)
                self._count_retry()
                return [part]
            raise self._refusal(exc) from None
        self.fds.append(fd)
        _require_file_or_dir(os.fstat(fd), self.requested)
        return []

    def _lstat(self, part: str) -> os.stat_result:
        try:
            return os.stat(part, dir_fd=self.fds[-1], follow_symlinks=False)
        except OSError as exc:
            raise self._refusal(exc) from None

    def _follow(self, part: str) -> list[str]:
        self._count_link()
        try:
            target = os.readlink(part, dir_fd=self.fds[-1])
        except OSError:  # no longer a link: look at it again
            self._count_retry()
            return [part]
        parts = PurePosixPath(target).parts
        if not parts or parts[0] != "/":
            return list(parts)
        for prefix in self.root.prefixes:
            if parts[: len(prefix)] == prefix:
                self._reset()
                return list(parts[len(prefix) :])
        raise self._outside()

    def _count_link(self) -> None:
        self.links += 1
        if self.links > MAX_SYMLINKS:
            raise ModelRetry(
                f"Path {self.requested!r} goes through more than {MAX_SYMLINKS} symlinks "
                "(a symlink loop?); refused. Ask for a path without the loop."
            )

    def _count_retry(self) -> None:
        self.retries += 1
        if self.retries > MAX_SYMLINKS:
            raise ModelRetry(f"Path {self.requested!r} kept changing while it was being opened; try again later.")

    def _up(self) -> None:
        if len(self.fds) == 1:
            raise self._outside()
        os.close(self.fds.pop())

    def _reset(self) -> None:
        while len(self.fds) > 1:
            os.close(self.fds.pop())

    def _outside(self) -> ModelRetry:
        return ModelRetry(f"Path {self.requested!r} leads outside the root directory (through a symlink); refused.")

    def _refusal(self, exc: OSError) -> ModelRetry:
        if exc.errno == errno.ENOENT:
            return ModelRetry(f"Path {self.requested!r} does not exist. Use list_dir to see what is there.")
        if exc.errno == errno.ENOTDIR:
            return ModelRetry(f"Path {self.requested!r} goes through a file as if it were a directory.")
        return ModelRetry(f"Cannot open {self.requested!r}: {exc.strerror or 'error'}.")


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _require_file_or_dir(info: os.stat_result, requested: str) -> None:
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise ModelRetry(f"Path {requested!r} is {kind}, not a regular file or directory; refused.")
