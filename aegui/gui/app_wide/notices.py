"""The one error sink: every failure that is not a refusal with a plain answer ends here, from any thread,
with a severity and its detail, logged, kept in a short history and shown in the GUI thread.

As napari's notification manager does: uncaught exceptions of the GUI thread (`sys.excepthook`, which Qt
calls for errors in slots and virtual methods) and of other threads (`threading.excepthook`) become
notices instead of tracebacks on a terminal nobody reads; code that chooses to carry on after an
unexpected error posts one instead of `pass`."""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from enum import IntEnum
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal

HISTORY = 200  # the notices kept
log = logging.getLogger("aegui")


class Severity(IntEnum):
    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR


@dataclass(frozen=True)
class Notice:
    severity: Severity
    message: str  # one line, for a person
    detail: str = ""  # the traceback or what else explains it
    when: float = 0.0  # time.time()


class Notices(QObject):
    """Posted from any thread; `posted` is emitted in the thread this object lives in (the GUI thread)."""

    posted = Signal(object)  # a Notice
    _arrived = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: deque[Notice] = deque(maxlen=HISTORY)
        self._arrived.connect(self._on_arrived, Qt.ConnectionType.QueuedConnection)

    def post(self, severity: Severity, message: str, detail: str = "") -> Notice:
        notice = Notice(severity, message, detail, time.time())
        log.log(int(severity), "%s%s", message, f"\n{detail}" if detail else "")
        self._arrived.emit(notice)
        return notice

    def post_error(self, error: BaseException, what: str, severity: Severity = Severity.ERROR) -> Notice:
        """`what` failed with `error`: its type and text as the message, its traceback as the detail."""
        detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return self.post(severity, f"{what}: {type(error).__name__}: {error}", detail)

    def _on_arrived(self, notice: Notice) -> None:
        self.history.append(notice)
        self.posted.emit(notice)

    def on_uncaught(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        """For sys.excepthook: Ctrl-C keeps its meaning; anything else is an unexpected error."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        self.post_error(error.with_traceback(trace), "Unexpected error")

    def on_uncaught_in_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "a thread"
        self.post_error(args.exc_value, f"Unexpected error in {name}")


_notices: Notices | None = None


def notices() -> Notices:
    """The process's one sink (made on first use: first use is in the GUI thread, at start-up)."""
    global _notices
    if _notices is None:
        _notices = Notices()
    return _notices


def post_error(error: BaseException, what: str, severity: Severity = Severity.ERROR) -> Notice:
    return notices().post_error(error, what, severity)
