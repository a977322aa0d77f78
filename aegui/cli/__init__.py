"""The command line: `aegui` opens the window (`aegui FILE` with a model or an image); `aegui train`,
`aegui generate`, `aegui export`, `aegui outliers`, `aegui encode`, `aegui similar`, `aegui duplicates`,
`aegui download`, `aegui datasets`, `aegui presets` work headless. One module per
command, each with `add_parser(commands)` and `run(args)`; what they share is in `arguments`.

`python main.py`, `python -m aegui` and the `aegui` console script all call `program()`: `main()` as a program.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from aegui.cli.arguments import Parser
from aegui.core.errors import AeguiError
from aegui.core.safe_text import stream_text, terminal_text

COMMANDS = {  # the command, and the module that adds its parser and runs it
    "gui": "gui",
    "train": "train",
    "generate": "generate",
    "export": "export",
    "outliers": "outliers",
    "encode": "encode",
    "similar": "similar",
    "duplicates": "duplicates",
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
    from aegui.core.data.image_files import IMAGE_SUFFIXES
    from aegui.core.model.configs import SUFFIX

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
    given = list(sys.argv[1:] if argv is None else argv)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (OutputStream(stream) for stream in streams)
    handlers: dict[int, object] = {}
    try:
        opened = file_to_open(given)
        try:
            args = build_parser().parse_args(opened or given)
        except SystemExit as exit:  # (--help, --version: their output is all they make)
            if exit.code in (0, None) and sys.stdout.failed:
                return _output_lost()
            raise
        args.argv = given  # (for `train --nproc`, which starts torchrun with the same arguments)
        if args.command not in (None, "gui"):  # (the window keeps the signals' own behaviour)
            handlers = _stops_interrupt()
        code = _command(args.command or "gui").run(args)
        only_output = args.command in ("presets", "datasets") or getattr(args, "print_command", False)
        return _output_lost() if code == 0 and only_output and sys.stdout.failed else code
    except AeguiError as error:
        print(f"aegui: error: {terminal_text(str(error), keep_newlines=True)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as error:  # (a stop where nothing is kept: reading data, an export, a download)
        print("aegui: interrupted; nothing was written.", file=sys.stderr)
        return 128 + getattr(error, "number", signal.SIGINT)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        wrapped = sys.stdout, sys.stderr
        for stream in wrapped:
            stream.flush()
        # (a stream that failed goes to /dev/null: Python's own flush at exit would only fail again)
        sys.stdout, sys.stderr = (_kept(original, stream) for original, stream in zip(streams, wrapped, strict=True))


def _output_lost() -> int:
    """A command whose output is all it makes could not write it (a full disk, a reader that left): say so."""
    print("aegui: error: the output could not be written (standard output failed).", file=sys.stderr)
    return 1


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised as Ctrl-C is, so that what a command was writing is cleaned up as for Ctrl-C."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def _stops_interrupt() -> dict[int, object]:
    """SIGTERM and SIGHUP interrupt a command as Ctrl-C does (a command that trains handles them itself, keeping
    what is finished); the handlers they replace, to put back."""

    def interrupt(number: int, _frame) -> None:
        raise Interrupted(number)

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGHUP)}


def _kept(original, wrapped):
    """The stream to leave in place after a command: the original, or /dev/null where writing to it failed."""
    if not isinstance(wrapped, OutputStream) or wrapped.alive:
        return original
    return open(os.devnull, "w")  # (Python closes it at exit)


class OutputStream(io.TextIOBase):
    """Standard output or error as aegui writes to it: every control character a name could carry (an escape
    sequence that clears the screen, a bidi override) and every byte the terminal cannot show is written out as an
    escape, and a stream that fails (a reader that left `| head`, a full disk, a closed terminal) makes the rest of
    the output go nowhere instead of raising in the middle of work that is still to be kept. `raw` writes as it is
    given (progress bars' own cursor codes), with the same tolerance."""

    def __init__(self, stream, clean: bool = True) -> None:
        super().__init__()
        self._stream, self._clean, self._failure = stream, clean, False
        self.raw = self if not clean else OutputStream(stream, clean=False)

    def write(self, text: str) -> int:
        if self._stream is None:
            return len(text)
        try:
            self._stream.write(stream_text(text) if self._clean else text)
        except UnicodeEncodeError:
            self._stream.write((stream_text(text) if self._clean else text).encode("ascii", "backslashreplace")
                               .decode("ascii"))  # fmt: skip
        except (OSError, ValueError) as error:  # (gone: what follows is dropped, the work goes on)
            self._lost(error)
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            try:
                self._stream.flush()
            except (OSError, ValueError) as error:
                self._lost(error)

    def _lost(self, error: Exception) -> None:
        self._stream = None
        self._failure = not isinstance(error, BrokenPipeError)  # (a reader that left, `| head`, is no failure)

    @property
    def failed(self) -> bool:
        """Whether writing failed for a reason other than a reader that left."""
        return self._failure

    @property
    def alive(self) -> bool:
        """Whether writing to the stream still works."""
        return self._stream is not None

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def fileno(self) -> int:
        if self._stream is None:
            raise OSError("the stream has closed")
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"


def program(argv: Sequence[str] | None = None) -> int:
    """`main()` as the program that ends after it: the interpreter's last full garbage collection at exit is then
    skipped (`gc.freeze`), since every object is about to go. It walks the hundreds of thousands of objects torch
    and its compiler leave, and took ~0.75 s of every `aegui train` (docs/benchmarks.md). Exit handlers still run
    and the standard streams are still flushed; aegui closes its own files before it returns."""
    code = main(argv)
    gc.freeze()
    return code
