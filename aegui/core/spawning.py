"""Starting helper processes safely from a program that may run Qt: spawned, never forked (a fork of a
process with Qt's threads can deadlock), and without re-running the program's main script, which a
spawned child otherwise does (a person's script that opens a window must not run twice)."""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Iterator


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """While inside, processes started with the "spawn" method do not import the main script; start
    them here (their target must be importable: a function of an aegui module)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main
