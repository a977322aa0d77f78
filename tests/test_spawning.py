"""Hiding the main script from spawned children, from several threads at once."""

import sys
import threading

from aegui.core.spawning import main_script_hidden


def test_the_main_script_stays_hidden_until_the_last_thread_leaves():
    """One thread enters, a second enters, the first leaves: the second is still hidden, and the real
    script is back once both have left (a save-and-restore per thread put back the other's blank module)."""
    real = sys.modules["__main__"]
    first_inside, first_may_leave = threading.Event(), threading.Event()

    def first() -> None:
        with main_script_hidden():
            first_inside.set()
            first_may_leave.wait()

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait()
    with main_script_hidden():
        first_may_leave.set()
        thread.join()
        still_hidden = sys.modules["__main__"] is not real
    assert still_hidden
    assert sys.modules["__main__"] is real


def test_the_main_script_comes_back_after_an_error():
    real = sys.modules["__main__"]
    try:
        with main_script_hidden():
            raise RuntimeError("a start that failed")
    except RuntimeError:
        pass
    assert sys.modules["__main__"] is real
