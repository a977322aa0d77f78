"""What every benchmark shares: where ../shared is, and the row format."""

from __future__ import annotations

import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AEGUI_SHARED", REPO.parent / "shared"))
MNIST_ROOT = SHARED / "datasets"
# other writers' digits in the same format can stand in: AEGUI_PEN_DIGITS=path/to/test.jsonl
UNIPEN = Path(os.environ.get("AEGUI_PEN_DIGITS", SHARED / "datasets" / "unipen-digits" / "dev.jsonl"))
JUDGE = SHARED / "judge"


def has_mnist() -> bool:
    return (MNIST_ROOT / "MNIST" / "raw" / "train-images-idx3-ubyte").exists()


@dataclass
class Row:
    name: str
    value: float | None
    unit: str
    bar: str  # the minimum, e.g. "<= 0.015"
    baseline: str  # what the figure is compared with, measured in the same run where possible
    ok: bool | None  # None: not measured (for example ../shared absent)
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def skipped(name: str, bar: str, why: str) -> Row:
    return Row(name, None, "", bar, "", None, f"skipped: {why}")


def qt_app():
    """The QApplication (made once), without the offscreen platform's repeated warning that it
    cannot propagate size hints, which would bury the figures. Windows open unseen unless
    QT_QPA_PLATFORM says otherwise: a benchmark needs no screen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        return QApplication.instance()

    def handler(kind, context, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)
    from aegui.gui.app_wide.set_up import set_up_process

    app = QApplication([])
    set_up_process(app)
    return app


def open_window():
    """The app's window on full MNIST (or the sample), data loaded; it never asks to save. Its
    settings and autosaves go to a temporary folder: a benchmark leaves a person's settings alone."""
    import tempfile
    import time

    private = Path(tempfile.mkdtemp(prefix="aegui-benchmark-"))
    os.environ.setdefault("AEGUI_CONFIG_DIR", str(private / "config"))
    os.environ.setdefault("AEGUI_AUTOSAVE_DIR", str(private / "autosave"))
    os.environ.setdefault("AEGUI_RUNS_DIR", str(private / "runs"))  # (and its runs: none kept, none shown)

    qapp = qt_app()
    from aegui.gui import MainWindow

    window = MainWindow(data_dir=MNIST_ROOT if has_mnist() else None)
    window.files.ask_unsaved = lambda doing: "discard"  # a benchmark keeps no model
    window.show()
    from aegui.gui.app import settle_heap

    settle_heap()  # as the app does once its window is up
    while window.session.dataset is None:
        qapp.processEvents()
        time.sleep(0.01)
    return qapp, window
