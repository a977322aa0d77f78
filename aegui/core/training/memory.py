"""Handing memory the program has freed back to the system.

glibc's allocator keeps freed memory in its heaps for reuse; after a training run, a model opened or a map
laid out, a long session's window held ~300 MB more than it used (measured with `python -m benchmarks soak`:
resident 1,481 MB, 1,164 MB once trimmed; every round alike). `malloc_trim` returns it. Elsewhere (macOS,
Windows, musl) there is nothing to call and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        library = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return library.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_free_memory() -> bool:
    """Give the allocator's free memory back to the system (glibc); True when that could be asked for.
    Takes tens of milliseconds with the GIL released: call it from a worker thread."""
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
