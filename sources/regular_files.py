"""Reading a file sleuth was pointed at: a regular file of bounded size, or a one-line reason why not.

Every input file (incident JSON, importer input, rule and graph YAML, DBSherlock
CSV) is read through here, so a FIFO, a device or a directory is refused the
same way everywhere. The file is opened non-blocking and checked on the open
descriptor: a FIFO's plain open would wait for a writer forever, a device never
ends, and checking the path before opening it would race with whoever replaces it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

NOT_REGULAR = "not a regular file (a FIFO, socket or device)"


class Unreadable(Exception):
    """The file is not read at all; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(Unreadable):
    """The file is over the caller's limit; ``size`` is what it holds (at least), in bytes."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, over the {limit}-byte limit")
        self.size = size
        self.limit = limit


def os_reason(exc: OSError, path: Path | None = None) -> str:
    """An OS error in a few lower-case words; a missing target of a symbolic link says so."""
    if exc.errno == errno.ENOENT and path is not None and path.is_symlink():
        return "dangling symbolic link (its target does not exist)"
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    return exc.strerror.lower() if exc.strerror else str(exc)


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path`` (symbolic links followed), at most ``max_bytes``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Unreadable(os_reason(exc, path)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Unreadable("is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(NOT_REGULAR)
        if info.st_size > max_bytes:
            raise TooLarge(info.st_size, max_bytes)
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb", closefd=True) as handle:
        try:
            # Sized by fstat: a read of ``max_bytes`` allocates (and then shrinks) that much for every
            # file, which costs more than reading a 100 KB incident. A file that grew since, or that
            # reports no size (/proc), is read on to the limit.
            raw = handle.read(info.st_size + 1)
            if len(raw) > info.st_size:
                raw += handle.read(max_bytes + 1 - len(raw))
        except OSError as exc:
            raise Unreadable(os_reason(exc)) from None
    if len(raw) > max_bytes:  # grew since fstat
        raise TooLarge(len(raw), max_bytes)
    return raw
