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

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 1 << 20  # blocks this large or larger: their own pages, returned to the system when freed


@functools.cache
def _glibc_function(name: str):
    if not sys.platform.startswith("linux"):
        return None
    try:
        library = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return getattr(library, name)
    except (OSError, AttributeError):  # not glibc
        return None


def return_large_blocks_when_freed() -> bool:
    """Large blocks (a map's images, a batch of codes) get pages of their own, given back as they are freed;
    True when that could be asked for. glibc raises its threshold for that (up to 32 MB) each time such a
    block is freed, after which they are carved from heaps that keep them: a long session's window swung by
    hundreds of MB between two moments alike. A fixed threshold keeps it where it is. For the window's
    process: a training loop would pay a page fault for each new block."""
    mallopt = _glibc_function("mallopt")
    return mallopt is not None and mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1


def release_free_memory() -> bool:
    """Give the allocator's free memory back to the system (glibc); True when that could be asked for.
    Takes tens of milliseconds with the GIL released: call it from a worker thread."""
    trim = _glibc_function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True
