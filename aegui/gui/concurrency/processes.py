"""The only place the window starts processes: training processes, started ahead of the first Train, kept
and reused run after run (threads for short jobs: `aegui.gui.concurrency.threads`; the core's image-folder
conversion starts a pool of processes of its own, inside such a worker thread, for its duration). What the
first Train would otherwise do in the GUI thread is done in a worker beforehand."""

from __future__ import annotations

from multiprocessing.reduction import ForkingPickler

import torch
from PySide6.QtCore import QObject, QSocketNotifier, Signal

from aegui.core.spawning import main_script_hidden
from aegui.core.training.protocol import Command, Quit, Ready
from aegui.core.training.server import serve
from aegui.gui.concurrency.threads import warm_in_background

QUIT_WAIT_S = 2.0


class TrainingProcess(QObject):
    """One training process and its pipe; `message` carries what it sends (`aegui.core.training.protocol`'s
    replies), `readied` says it has started (PyTorch imported), `died` says it is gone."""

    message = Signal(object)
    readied = Signal()
    died = Signal()

    def __init__(self) -> None:
        super().__init__()
        context = torch.multiprocessing.get_context("spawn")  # never fork a process that runs Qt threads
        self._conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child,), name="aegui-training", daemon=True)
        with main_script_hidden():
            self.process.start()
        child.close()
        self._notifier = QSocketNotifier(self._conn.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_readable)
        self.alive = True
        self.ready = False

    def send(self, message: Command) -> bool:
        try:
            self._conn.send(message)
            return True
        except (OSError, ValueError):
            self._gone()
            return False

    def receive(self, timeout: float) -> bool:
        """Deliver what has arrived (waiting up to `timeout` seconds for the first); False once gone."""
        try:
            if self._conn.poll(timeout):
                while self.alive and self._conn.poll():
                    message = self._conn.recv()
                    if isinstance(message, Ready):
                        self.ready = True
                        self.readied.emit()
                    else:
                        self.message.emit(message)
        except (EOFError, OSError):
            self._gone()
        return self.alive

    def _on_readable(self, *_args) -> None:
        self.receive(0)

    def _gone(self) -> None:
        if self.alive:
            self.alive = False
            self._notifier.setEnabled(False)
            self.died.emit()

    def quit(self) -> None:
        if self.alive:
            self.send(Quit())
            self.process.join(QUIT_WAIT_S)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(QUIT_WAIT_S)
        self.alive = False
        self._notifier.setEnabled(False)


_idle: list[TrainingProcess] = []
_warmed_up = False


def _new_process() -> TrainingProcess:
    return TrainingProcess()  # (stopped when the application quits: `aegui.gui.app_wide.set_up`)


def _warm_up() -> None:
    """What the first run would otherwise do in the GUI thread when a person presses Train, done in a worker
    beforehand: the first shared tensor sent to another process starts multiprocessing's fd-passing service (a
    quarter of a second here), and the first optimizer imports torch._dynamo (a second or more)."""
    ForkingPickler.dumps(torch.zeros(1).share_memory_())
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def warm_up_training() -> None:
    """Do now, in a worker, what the first Train would otherwise do in the GUI thread (see `_warm_up`)."""
    global _warmed_up
    if not _warmed_up:
        _warmed_up = True
        warm_in_background(_warm_up, "aegui-warm-up")


def prepare_training_process() -> None:
    """Start a training process ahead of the first Train (its start, importing PyTorch, takes seconds)."""
    if not _idle:
        _idle.append(_new_process())
    warm_up_training()


def stop_training_processes() -> None:
    for process in _idle:
        process.quit()
    _idle.clear()


def acquire() -> TrainingProcess:
    """An idle training process, or a new one."""
    while _idle:
        process = _idle.pop()
        if process.alive and process.process.is_alive():
            return process
        process.quit()
    return _new_process()


def idle_and_ready() -> int:
    """Idle training processes that have started (a run begun now trains in one from its first batch)."""
    return sum(process.ready and process.alive for process in _idle)


def release(process: TrainingProcess) -> None:
    """A process whose run has ended, ready for the next one."""
    _idle.append(process)
