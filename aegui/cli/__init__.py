"""The command line: `aegui` opens the window (`aegui FILE` with a model or an image); `aegui train`,
`aegui generate`, `aegui export`, `aegui download`, `aegui datasets`, `aegui presets` work headless. One module per
command, each with `add_parser(commands)` and `run(args)`; what they share is in `arguments`.

`python main.py`, `python -m aegui` and the `aegui` console script all call `program()`: `main()` as a program.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aegui.cli.arguments import Parser
from aegui.core.errors import AeguiError
from aegui.core.safe_text import terminal_text

COMMANDS = {  # the command, and the module that adds its parser and runs it
    "gui": "gui",
    "train": "train",
    "generate": "generate",
    "export": "export",
    "outliers": "outliers",
    "download": "download",
    "datasets": "datasets",
    "presets": "presets",
    "install-desktop": "install_desktop",
}


def _command(name: str):
    return importlib.import_module(f"aegui.cli.{COMMANDS[name]}")


def build_parser() -> argparse.ArgumentParser:
    from aegui import __version__

    parser = Parser(
        prog="aegui",
        description="A desktop studio for autoencoders. With no command, opens the window; `aegui FILE` opens the "
        "window with a model file (*.aegui.pt) or an image on the canvas.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aegui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        _command(name).add_parser(commands)
    return parser


def file_to_open(argv: Sequence[str]) -> list[str] | None:
    """`aegui FILE`: the `gui` arguments that open a model file or an image, as a desktop program does with
    the file it is given (a desktop entry's %f); None when the first argument is not such a file."""
    if not argv or argv[0].startswith("-") or argv[0] in COMMANDS:
        return None
    from aegui.core.configs import SUFFIX
    from aegui.core.image_files import IMAGE_SUFFIXES

    path = Path(argv[0])
    name = path.name.lower()
    is_model = name.endswith((SUFFIX, ".pt"))
    is_image = path.suffix.lower() in IMAGE_SUFFIXES
    if not (is_model or is_image or path.exists() or "/" in argv[0] or "\\" in argv[0]):
        return None  # a mistyped command: argparse says which commands there are
    if not path.is_file():
        raise AeguiError(f"{argv[0]}: no such file." if not path.exists() else f"{argv[0]} is not a file.")
    if not (is_model or is_image):
        raise AeguiError(f"{argv[0]} is neither a model file (*{SUFFIX}) nor an image (PNG, JPEG, BMP, WebP, TIFF, "
                         "GIF, PGM/PPM/PBM or another kind Pillow reads); aegui opens those.")  # fmt: skip
    return ["gui", "--model" if is_model else "--image", str(path), *argv[1:]]


def main(argv: Sequence[str] | None = None) -> int:
    _printable_streams()
    given = list(sys.argv[1:] if argv is None else argv)
    try:
        opened = file_to_open(given)
        args = build_parser().parse_args(opened or given)
        args.argv = given  # (for `train --nproc`, which starts torchrun with the same arguments)
        return _command(args.command or "gui").run(args)
    except AeguiError as error:
        print(f"aegui: error: {terminal_text(str(error), keep_newlines=True)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # (`aegui presets | head`): the reader left; say nothing more
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (Python flushes it at exit, into nothing)
        return 1


def _printable_streams() -> None:
    """Whatever a name holds, printing it cannot fail: a character the terminal's encoding lacks (or a byte of a
    file name that was not UTF-8) is written as an escape (\\xff), not raised as UnicodeEncodeError after the
    work is done. (Names are also printed through `terminal_text`, which escapes control characters.)"""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):  # (no stream, or not a text file)
            stream.reconfigure(errors="backslashreplace")


def program(argv: Sequence[str] | None = None) -> int:
    """`main()` as the program that ends after it: the interpreter's last full garbage collection at exit is then
    skipped (`gc.freeze`), since every object is about to go. It walks the hundreds of thousands of objects torch
    and its compiler leave, and took ~0.75 s of every `aegui train` (docs/benchmarks.md). Exit handlers still run
    and the standard streams are still flushed; aegui closes its own files before it returns."""
    code = main(argv)
    gc.freeze()
    return code
