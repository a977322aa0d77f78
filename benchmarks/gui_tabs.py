"""Issue 45: what each tab costs while training runs from the window, in one table.

For each tab (Training, Code space, Explore, Generate, Features, Outliers), shown while the window trains with
its own event loop idling between events (`QEventLoop.exec`, as the app runs): the window process's own CPU (in
cores, from os.times(): its threads, not the training process's), samples per second trained from the window
beside the same model trained headless just before (the ratio), and the lateness of a 10 ms heartbeat timer in
the GUI thread (p99 and worst). Options: other CPU-bound programs running throughout (a busy desktop), and a map
computed back to back in the Code space while it is shown (t-SNE or PCA, the app's own path).

python -m benchmarks gui --only-tabs --seconds 5 [--busy 2] [--map tsne]
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

from benchmarks.common import Row, open_window

TABS = ("Training", "Code space", "Explore", "Generate", "Features", "Outliers")
DRAWN = "Training, a pen digit drawn"  # the last row: a digit on the canvas, its results following the weights
BEAT_MS = 10


def competitors(count: int) -> list[subprocess.Popen]:
    """Other programs keeping the CPU busy, as on a person's desktop (browser, editor, indexer)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def end(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


def headless_samples_per_s(dataset, preset_name: str, seconds: float) -> float:
    """Training throughput without a window over `seconds` of wall clock (after the first batch), on as many
    threads as a training process starts with."""
    import torch

    from aegui.core.model.autoencoder import build_model
    from aegui.core.model.presets import customise, get_preset
    from aegui.core.training.trainer import BatchEnd, Trainer
    from aegui.gui.concurrency.training_process import PROCESS_THREADS

    preset = customise(get_preset(preset_name), train={"epochs": 1000})
    torch.manual_seed(0)
    window_threads = torch.get_num_threads()
    torch.set_num_threads(PROCESS_THREADS)
    try:
        trainer = Trainer(build_model(preset.model), dataset, preset.train)
        first = None
        for event in trainer.iterate():
            if isinstance(event, BatchEnd):
                now = time.perf_counter()
                first = first or (now, event.step)
                if now - first[0] >= seconds:
                    trainer.request_stop()
                    return (event.step - first[1]) * trainer.batch_size / (now - first[0])
    finally:
        torch.set_num_threads(window_threads)
    raise AssertionError("training ended early")


@dataclass
class WindowRun:
    samples_per_s: float  # trained from the window, first progress report to last
    cores: float  # the window process's own CPU over the same span
    gaps_ms: np.ndarray  # between the heartbeat's beats over the same span

    @property
    def late_ms(self) -> np.ndarray:
        return np.maximum(self.gaps_ms - BEAT_MS, 0.0)


def _cpu_seconds() -> float:
    used = os.times()  # this process's threads (the training process is not a child waited for)
    return used.user + used.system


def _show_tab(window, title: str) -> None:
    titles = [window.tabs.tabText(index) for index in range(window.tabs.count())]
    window.tabs.setCurrentIndex(titles.index(title))


def window_run(window, seconds: float, tab: str | None = None, map_method: str | None = None) -> WindowRun:
    """Train a fresh model from the window for `seconds` (from its first progress report) with `tab` shown and
    the event loop running as in the app; `map_method`: the Code space lays its map out again as soon as it is
    done (as if every epoch ended then), for the whole run."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    session = window.session
    if tab is not None:
        _show_tab(window, tab)
    window.panel.epochs_spin.setValue(1000)
    window.new_model()  # fresh weights each run, without the unsaved-training question
    reports: list[tuple[float, int, float]] = []
    beats: list[float] = []

    def on_progress(item) -> None:
        reports.append((time.perf_counter(), item.last.step, _cpu_seconds()))
        if reports[-1][0] - reports[0][0] >= seconds and session.phase.value == "training":
            session.stop()

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(BEAT_MS)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    again = _map_again(window, map_method) if map_method else None
    loop = QEventLoop()
    session.trainingFinished.connect(loop.quit)
    session.trainingProgress.connect(on_progress)
    QTimer.singleShot(int((seconds + 120) * 1000), loop.quit)  # (a run that never reports must not hang here)
    heartbeat.start()
    window.start_training()
    batch_size = session.trainer.batch_size
    loop.exec()
    session.trainingFinished.disconnect(loop.quit)
    session.trainingProgress.disconnect(on_progress)
    heartbeat.stop()
    if again is not None:
        again()
    if len(reports) < 2:
        raise AssertionError(f"training from the window reported {len(reports)} time(s) in {seconds:g} s")
    (start, first_step, cpu_start), (stop, last_step, cpu_stop) = reports[0], reports[-1]
    times = np.asarray(beats)
    inside = times[(times >= start) & (times <= stop)]
    gaps = np.diff(inside) * 1000 if len(inside) > 1 else np.full(1, (stop - start) * 1000)
    span = stop - start
    return WindowRun((last_step - first_step) * batch_size / span, (cpu_stop - cpu_start) / span, gaps)


def _imported(method: str) -> None:
    from PySide6.QtWidgets import QApplication

    from benchmarks.gui import _spin

    importing = lambda: any(thread.name == "aegui-map-library" for thread in threading.enumerate())  # noqa: E731
    _spin(QApplication.instance(), 0.0, lambda: not importing(), timeout=60)


def _map_again(window, method: str):
    """Make the Code space lay its map out by `method` again each time it is done; returns the undo."""
    from PySide6.QtCore import QTimer

    panel, code_space = window.parts.code_space_panel, window.parts.code_space
    panel.projection_combo.setCurrentIndex(panel.projection_combo.findData(method))
    _imported(method)  # (chosen, the method's library is imported ahead: a person chooses seconds before Train)
    panel.follow_check.setChecked(method != "pca")  # (t-SNE during training only when following it)
    done = code_space.layouts.ready if method != "pca" else code_space.mapUpdated

    def again(*_args) -> None:
        QTimer.singleShot(0, code_space.model_changed)  # new weights: the map is computed and laid out afresh

    def undo() -> None:
        done.disconnect(again)
        code_space.cancel()  # (what it lays out now would run into the next measurement)

    done.connect(again)  # (the fresh model each run starts the first map)
    return undo


def _draw_a_digit(window) -> None:
    """A pen digit from ../shared (or a stroke of its own) drawn on the canvas at a hand's pace."""
    from PySide6.QtWidgets import QApplication

    from benchmarks.gui import _spin
    from benchmarks.soak import _pen_digits, draw_strokes

    qapp = QApplication.instance()
    draw_strokes(qapp, window.canvas, _pen_digits(1)[0])
    _spin(qapp, 0.3)


def wait_for_a_ready_process() -> None:
    """Until the warm-up's training process has started: a run begun before trains its first batches in the
    window's own process (and a tab measured then would be charged for them)."""
    from PySide6.QtWidgets import QApplication

    from aegui.gui.concurrency.processes import idle_and_ready
    from benchmarks.gui import _spin

    _spin(QApplication.instance(), 0.0, lambda: idle_and_ready() > 0, timeout=120)


def tab_rows(seconds: float = 5.0, busy: int = 0, map_method: str | None = None, tabs: tuple[str, ...] = TABS,
             preset_name: str = "default") -> list[Row]:  # fmt: skip
    """One row per tab, and the same figures printed as one table."""
    _qapp, window = open_window()
    dataset = window.session.dataset
    window.panel.preset_combo.setCurrentIndex(window.panel.preset_combo.findData(preset_name))
    window_run(window, min(seconds, 2.0))  # warm-up: the training process, first allocations
    wait_for_a_ready_process()
    others = competitors(busy)
    figures: list[tuple[str, float, WindowRun]] = []
    try:
        for tab in (*tabs, DRAWN):
            headless = headless_samples_per_s(dataset, preset_name, seconds)
            mapping = map_method if tab == "Code space" else None
            if tab == DRAWN:
                _draw_a_digit(window)
            figures.append((tab, headless, window_run(window, seconds, "Training" if tab == DRAWN else tab, mapping)))
            print(f"  (tab {tab}: measured)", file=sys.stderr, flush=True)
    finally:
        end(others)
        window.close()
    condition = f"{busy} other CPU-bound program{'s' if busy != 1 else ''} running" if busy else "quiet machine"
    mapped = f"; Code space: {map_method} map laid out back to back" if map_method else ""
    print(f"\nWhile training '{preset_name}' on {dataset.name} from the window, {seconds:g} s per tab, {condition}"
          f"{mapped} ({os.cpu_count()} cores):\n")  # fmt: skip
    print("| tab | window process CPU | in the window | headless | window / headless | heartbeat late p99 | worst |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    bar = 0.95 if not busy else 0.85  # (issue 45)
    for tab, headless, run in figures:
        ratio = run.samples_per_s / headless
        p99, worst = float(np.percentile(run.late_ms, 99)), float(run.late_ms.max())
        print(f"| {tab} | {run.cores:.2f} cores | {run.samples_per_s:,.0f} samples/s | {headless:,.0f} samples/s | "
              f"{ratio:.2f}x | {p99:.1f} ms | {worst:.1f} ms |")  # fmt: skip
        rows.append(Row(f"{condition}, {tab} tab shown: training from the window / headless", round(ratio, 3), "x",
                        f">= {bar}, heartbeat p99 late <= 40 ms",
                        f"window {run.samples_per_s:,.0f} vs headless {np.round(headless):,.0f} samples/s",
                        ratio >= bar and p99 <= 40,
                        f"window process {run.cores:.2f} cores; {BEAT_MS} ms heartbeat late p99 {p99:.1f} ms, worst "
                        f"{worst:.1f} ms over {len(run.gaps_ms):,} beats; {seconds:g} s each"
                        + (mapped if tab == "Code space" else "")))  # fmt: skip
    print(flush=True)
    return rows
