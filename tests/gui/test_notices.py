"""The one error sink: notices from any thread arrive in the GUI thread, kept and logged; uncaught errors of
the GUI thread and of other threads become notices; the process is set up once."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import QThread

from aegui.gui.app_wide.notices import Severity, notices


def test_a_notice_from_a_worker_thread_arrives_in_the_gui_thread(qtbot, caplog):
    sink = notices()
    arrived: list[tuple[object, bool]] = []
    sink.posted.connect(lambda notice: arrived.append((notice, QThread.currentThread() is sink.thread())))
    caplog.set_level(logging.WARNING, logger="aegui")
    thread = threading.Thread(target=lambda: sink.post(Severity.WARNING, "the cache was not warmed", "why"))
    with qtbot.waitSignal(sink.posted):
        thread.start()
        thread.join()
    notice, in_gui_thread = arrived[-1]
    assert in_gui_thread and notice.message == "the cache was not warmed" and notice.severity is Severity.WARNING
    assert sink.history[-1] is notice
    assert "the cache was not warmed" in caplog.text


def test_uncaught_errors_of_any_thread_become_notices(qtbot):
    sink = notices()
    try:
        raise ZeroDivisionError("in a slot")
    except ZeroDivisionError as error:
        with qtbot.waitSignal(sink.posted) as gui:
            sink.on_uncaught(type(error), error, error.__traceback__)
    assert "ZeroDivisionError: in a slot" in gui.args[0].message and "Traceback" in gui.args[0].detail

    def fail() -> None:
        raise ValueError("in a thread")

    thread = threading.Thread(target=fail, name="aegui-test-thread")
    with qtbot.waitSignal(sink.posted) as other:
        sink_hook = threading.excepthook
        thread.run = lambda: _run_with_hook(fail, thread, sink_hook)  # pytest's own hook would take it otherwise
        thread.start()
        thread.join()
    notice = other.args[0]
    assert notice.severity is Severity.ERROR and "aegui-test-thread" in notice.message
    assert "ValueError: in a thread" in notice.message


def _run_with_hook(function, thread: threading.Thread, hook) -> None:
    try:
        function()
    except Exception as error:
        hook(threading.ExceptHookArgs((type(error), error, error.__traceback__, thread)))


def test_the_history_is_bounded(qtbot):
    sink = notices()
    for number in range(sink.history.maxlen + 5):
        sink.post(Severity.INFO, f"notice {number}")
    qtbot.waitUntil(lambda: sink.history[-1].message == f"notice {sink.history.maxlen + 4}")
    assert len(sink.history) == sink.history.maxlen


def test_the_application_is_set_up_once_at_start_up():
    """make_application sets the hooks and the GUI-thread collector, once however often it is asked."""
    code = (
        "import gc, sys, threading\n"
        "from aegui.gui.app import make_application\n"
        "from aegui.gui.app_wide.notices import notices\n"
        "app = make_application([])\n"
        "make_application([])\n"
        "assert sys.excepthook == notices().on_uncaught and threading.excepthook == notices().on_uncaught_in_thread\n"
        "assert not gc.isenabled()\n"
        'print(app.receivers("2aboutToQuit()"))\n'
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"  # the training processes are stopped on quit, asked once


@pytest.mark.parametrize("own", [None, "ACTIVE"])
def test_openmp_threads_sleep_when_idle_unless_a_person_chose_otherwise(own):
    """Set before PyTorch loads in the window's process (and inherited by the training processes it starts):
    spinning idle threads held both cores of a 2-core machine between a run's steps."""
    code = (
        "import os, sys\n"
        "from aegui.gui.app import make_application\n"
        "make_application([])\n"
        "print(os.environ['OMP_WAIT_POLICY'], 'torch' in sys.modules)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    env |= {"QT_QPA_PLATFORM": "offscreen", **({"OMP_WAIT_POLICY": own} if own else {})}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [own or "PASSIVE", "False"]


def test_the_window_says_a_warning_and_keeps_it_under_help_messages(window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    thread = threading.Thread(target=lambda: notices().post(Severity.ERROR, "the map could not be drawn", "trace"))
    with qtbot.waitSignal(notices().posted):
        thread.start()
        thread.join()
    assert "the map could not be drawn" in window.panel.message_label.text()
    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box))
    window.actions["messagesAction"].trigger()
    assert "error: the map could not be drawn" in shown[0].informativeText()
    assert "trace" in shown[0].detailedText()
