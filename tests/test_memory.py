import sys

import pytest

from aegui.core.training.memory import release_free_memory


def _resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux only")
def test_freed_memory_that_the_allocator_kept_goes_back_to_the_system():
    chunks = [bytearray(b"x" * 60_000) for _ in range(4000)]  # ~240 MB in the heap (each under mmap's threshold)
    kept = chunks[::50]  # a few stay alive, scattered: the heap cannot simply shrink from its top
    del chunks
    before = _resident_mb()
    assert release_free_memory()
    after = _resident_mb()
    assert before - after > 100, (before, after)
    assert len(kept) == 80


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_large_blocks_go_back_to_the_system_as_they_are_freed():
    from aegui.core.training.memory import return_large_blocks_when_freed

    assert return_large_blocks_when_freed()
    large = bytearray(20_000_000)
    del large  # a large block freed: glibc alone would now carve blocks up to that size from its heaps
    blocks = [bytearray(b"x" * 2_000_000) for _ in range(60)]  # ~120 MB of 2 MB blocks
    before = _resident_mb()
    del blocks[:-1]  # all but the last (a heap could only shrink from its top)
    after = _resident_mb()
    assert before - after > 80, (before, after)
