"""Starting helper processes safely from a program that may run Qt: spawned, never forked (a fork of a
process with Qt's threads can deadlock), and without re-running the program's main script, which a
spawned child otherwise does (a person's script that opens a window must not run twice)."""

from __future__ import annotations

import contextlib
import sys
import threading
import types
from collections.abc import Iterator

_lock = threading.Lock()
_inside = 0  # how many threads are inside main_script_hidden now
_main: types.ModuleType | None = None  # the real __main__ while they are


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """While inside, processes started with the "spawn" method do not import the main script; start
    them here (their target must be importable: a function of an aegui module). Threads may be inside at
    once (a folder read in processes while the training process starts): the first to enter hides the
    script, the last to leave brings it back, so none of them puts back another's blank module."""
    global _inside, _main
    with _lock:
        if _inside == 0:
            _main = sys.modules["__main__"]
            sys.modules["__main__"] = types.ModuleType("__main__")
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _main is not None:
                sys.modules["__main__"], _main = _main, None
