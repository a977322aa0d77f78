"""Writing files that never break anything: only over regular files (a symlink is followed to the file it
names, and stays a link), never onto a device, a named pipe, a socket or a folder, and atomically (a
temporary file beside the target, then a rename), so a failed write leaves any earlier file intact."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from aegui.core.errors import AeguiError

TEMPORARY = ".tmp"
KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


class WriteError(AeguiError):
    """A file that cannot be written where asked, with the reason."""


def _file_mode() -> int:
    """What a newly created file gets under this process's umask (read once, at import)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def writable_target(path: str | Path) -> Path:
    """The file that writing to `path` should replace: `path` itself, or the file a symbolic link at `path`
    names. Raises WriteError, before any work is done, when that is not a regular file or nothing yet."""
    path = Path(path).expanduser()
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as error:
        raise WriteError(f"Cannot write {path}: {error.strerror or error}.") from error
    if stat.S_ISREG(mode):
        return target
    kind = next((name for test, name in KINDS if test(mode)), "not a regular file")
    raise WriteError(f"Cannot write {path}: it is {kind}, not a file. Give a file name.")


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`'s target for writing; on success it replaces the target (the
    written data synced first), on any error it is removed and the target is untouched."""
    target = writable_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=target.name + ".", suffix=TEMPORARY, dir=target.parent)
    try:
        os.fchmod(handle, FILE_MODE)  # mkstemp's 0600 would make every written file private to its owner
        with os.fdopen(handle, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str, what: str = "the file") -> None:
    """`text` into `path`, atomically; a WriteError says why not."""
    try:
        with atomic_file(path, "w") as out:
            out.write(text)
    except WriteError:
        raise
    except OSError as error:
        raise WriteError(f"Could not write {what} to {path}: {error.strerror or error}.") from error


def write_with(path: str | Path, writer: Callable[[IO], None], what: str = "the file") -> None:
    """Let `writer` fill a binary file that then replaces `path` atomically; a WriteError says why not."""
    try:
        with atomic_file(path, "wb") as out:
            writer(out)
    except WriteError:
        raise
    except OSError as error:
        raise WriteError(f"Could not write {what} to {path}: {error.strerror or error}.") from error
