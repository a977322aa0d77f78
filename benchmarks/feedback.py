"""Speed to first feedback (issue 30): in a fresh program, open the window, press Train `delay` seconds after
it shows, and time the first loss point (the first batch losses reaching the session). Run by
`benchmarks.gui.first_feedback_rows`, each time in a new process so that no training process is warm.

    python -m benchmarks.feedback DELAY        # prints the seconds, as JSON
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time


def measure(delay: float) -> dict:
    os.environ["AEGUI_CONFIG_DIR"] = tempfile.mkdtemp()
    os.environ["AEGUI_AUTOSAVE_DIR"] = tempfile.mkdtemp()
    os.environ["AEGUI_RUNS_DIR"] = tempfile.mkdtemp()
    from benchmarks.common import qt_app

    app = qt_app()
    from aegui.gui.window.main_window import MainWindow

    window = MainWindow(data_dir=tempfile.mkdtemp())  # the embedded sample, as on a new machine
    window.files.ask_unsaved = lambda _doing: "discard"
    window.show()
    shown = time.perf_counter()
    session = window.session
    while time.perf_counter() - shown < delay or session.dataset is None or not window.panel.train_button.isEnabled():
        app.processEvents()
        time.sleep(0.002)
    first: list[float] = []
    session.trainingProgress.connect(lambda _item: first.append(time.perf_counter()) if not first else None)
    pressed = time.perf_counter()
    window.panel.train_button.click()
    while not first and time.perf_counter() - pressed < 60:
        app.processEvents()
        time.sleep(0.001)
    result = {"delay": delay, "pressed_after_shown": pressed - shown,
              "first_loss_after_train": (first[0] - pressed) if first else None}  # fmt: skip
    session.stop()
    window.close()
    return result


if __name__ == "__main__":
    print(json.dumps(measure(float(sys.argv[1]))))
