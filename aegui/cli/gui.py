"""`aegui gui` (and `aegui` alone, or `aegui FILE`): open the window, with a model or an image if given."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aegui.cli.arguments import DATA_DIR_HELP

NO_WINDOW = 3  # the exit status when the window cannot be shown (no display, missing libraries)


def add_parser(commands) -> None:
    gui = commands.add_parser("gui", help="open the window (the default)")
    gui.add_argument("--data-dir", type=Path, help=DATA_DIR_HELP)
    gui.add_argument("--model", type=Path, help="open this saved model at start")
    gui.add_argument("--image", type=Path, help="put this image on the canvas at start")
    gui.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)  # start-up timing
    gui.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)  # the whole window built


def run(args: argparse.Namespace) -> int:
    from aegui import qt_check

    problem = qt_check.display_problem()  # before Qt, which aborts the process (a core dump) without a display
    if problem:
        print(problem, file=sys.stderr)
        return NO_WINDOW
    if qt_check.uses_xcb():  # say what to install rather than let Qt abort (it names the wrong library)
        missing = qt_check.missing_libraries()
        if missing:
            print(qt_check.explain(missing), file=sys.stderr)
            return NO_WINDOW
    from aegui.gui.app import run_app

    return run_app(
        data_dir=getattr(args, "data_dir", None),
        model_path=getattr(args, "model", None),
        image_path=getattr(args, "image", None),
        exit_when_shown=getattr(args, "exit_when_shown", False),
        exit_when_ready=getattr(args, "exit_when_ready", False),
    )
