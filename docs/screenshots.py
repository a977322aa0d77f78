"""Make the README's screenshots: the window in the light and dark themes at a laptop's 1366x768, with a
trained model open and a pen-drawn digit from ../shared replayed on the canvas.

    QT_QPA_PLATFORM=offscreen python docs/screenshots.py MODEL.aegui.pt [--data-dir ../shared/datasets]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # the repository: its aegui and its tests' stroke replay


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a trained model to open")
    parser.add_argument("--data-dir", default=str(DOCS.parent.parent / "shared" / "datasets"))
    parser.add_argument("--strokes", default=str(DOCS.parent.parent / "shared" / "datasets" / "unipen-digits" /
                                                 "dev.jsonl"))  # fmt: skip
    parser.add_argument("--label", default="3", help="the pen digit to replay (the first with this label)")
    parser.add_argument("--size", default="1366x728", help="window size (a 1366x768 screen less its task bar)")
    args = parser.parse_args()
    os.environ["AEGUI_CONFIG_DIR"] = tempfile.mkdtemp()  # the person's own settings and autosave stay untouched
    os.environ["AEGUI_AUTOSAVE_DIR"] = tempfile.mkdtemp()
    os.environ["AEGUI_RUNS_DIR"] = tempfile.mkdtemp()  # (the person's kept runs neither shown nor added to)
    home = Path(tempfile.mkdtemp())  # the status bar shows the data as a person's would be: ~/datasets/MNIST/raw
    (home / "datasets").symlink_to(Path(args.data_dir).resolve(), target_is_directory=True)
    os.environ["HOME"] = str(home)
    args.data_dir = str(home / "datasets")

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from aegui.gui.theme.themes import themes
    from aegui.gui.window import main_window
    from tests.gui.conftest import drag, fit_to_canvas

    width, height = (int(side) for side in args.size.split("x"))
    main_window._available_size = lambda: (width, height + main_window.TITLE_BAR_ROOM)
    window = main_window.MainWindow(data_dir=args.data_dir, model_path=args.model)
    window.files.ask_unsaved = lambda _doing: "discard"
    window.show()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    settle(1.0)
    while window.session.dataset is None:
        settle(0.2)
    with open(args.strokes) as lines:
        sample = next(json.loads(line) for line in lines if json.loads(line)["label"] == args.label)
    side = window.canvas.width()
    drag(window.canvas, fit_to_canvas(sample["strokes"], side))
    settle(2.0)
    for theme, name in (("light", "window.png"), ("dark", "window-dark.png")):
        themes().set_choice(theme)
        settle(1.0)
        window.grab().save(str(DOCS / name))
        print("wrote", DOCS / name)
    window.close()


if __name__ == "__main__":
    main()
