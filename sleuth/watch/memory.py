"""Handing memory a diagnosis freed back to the operating system.

A diagnosis builds matrices of a few megabytes and many small objects, then frees them. glibc's
allocator keeps freed memory mapped for reuse and raises its mmap threshold after large frees,
so a watcher's resident size climbs to the high-water mark of its largest diagnosis and stays
there. ``malloc_trim`` returns the free pages; elsewhere (musl, macOS) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_freed() -> bool:
    """Give free heap pages back; True when the allocator could (glibc), False where it cannot."""
    trim = _trim()
    return trim is not None and bool(trim(0))
