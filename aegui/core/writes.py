"""Writing files that never break anything: only over regular files (a symlink is followed to the file it
names, and stays a link), never onto a device, a named pipe, a socket or a folder, and atomically (a
temporary file beside the target, then a rename), so a failed write leaves any earlier file intact."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
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


def _name_limit(folder: Path) -> int:
    """The longest file name, in bytes, that the file system holding `folder` (or its nearest existing
    ancestor) takes."""
    for parent in (folder, *folder.parents):
        try:
            return os.pathconf(parent, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255


def _follow(path: Path) -> Path:
    """`path`, or the file the symbolic link at `path` names; WriteError for a loop of links."""
    try:
        return path.resolve() if path.is_symlink() else path
    except RuntimeError:  # (Python 3.11 says a loop of links this way)
        raise WriteError(f"Cannot write {path}: it is a link in a loop of links, naming no file.") from None
    except OSError as error:
        raise WriteError(f"Cannot write {path}: {error.strerror or error}.") from None


def _check_name(path: Path, target: Path) -> None:
    """WriteError when `target`'s name is longer than its file system takes (said before any work, not after)."""
    size, limit = len(os.fsencode(target.name)), _name_limit(target.parent)
    if size > limit:
        raise WriteError(f"Cannot write {path}: the name is {size} bytes long, and this file system takes at most "
                         f"{limit}. Give a shorter name.")  # fmt: skip


def writable_target(path: str | Path) -> Path:
    """The file that writing to `path` should replace: `path` itself, or the file a symbolic link at `path`
    names. Raises WriteError, before any work is done, when that is not a regular file or nothing yet, or when
    its name is longer than its file system allows."""
    path = Path(path).expanduser()
    _check_name(path, path)
    target = _follow(path)
    _check_name(path, target)
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


def readable_file(path: str | Path, what: str = "the file") -> Path:
    """`path` (a link followed) when it is a regular file to read; else an AeguiError, before anything opens
    it, saying what it is: opening a named pipe would wait forever for a writer, and a device may never end."""
    path = Path(path).expanduser()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise AeguiError(f"Cannot read {what} {path}: it does not exist.") from None
    except (OSError, ValueError) as error:  # (ValueError: a name with a NUL byte)
        raise AeguiError(f"Cannot read {what} {path}: {getattr(error, 'strerror', None) or error}.") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in KINDS if test(mode)), "not a regular file")
        raise AeguiError(f"Cannot read {what} {path}: it is {kind}, not a file.")
    return path


def make_folders(folder: Path) -> list[Path]:
    """Create `folder` and the parents it lacks; the folders made, outermost first (to remove on failure)."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()][::-1]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def remove_folders(made: list[Path]) -> None:
    """Remove the folders `make_folders` made, innermost first, where they are still empty."""
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


def temporary_prefix(target: Path) -> str:
    """The start of a temporary file's name beside `target`: its name, cut so that the temporary name (with
    mkstemp's 8 random characters and the suffix) fits where `target`'s own name does."""
    room = _name_limit(target.parent) - len(TEMPORARY) - 10
    name = os.fsencode(target.name)[:room]
    return os.fsdecode(name) + "."


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path.expanduser()))
    except (OSError, RuntimeError, ValueError):
        return path.expanduser().absolute()


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same inode (a hard link, a link, another spelling) or, for paths
    that do not exist yet, the same real path."""
    with contextlib.suppress(OSError, ValueError):
        return os.path.samefile(first, second)
    return _real(first) == _real(second)


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` lies in `folder` by the file system's own identity of folders (device and inode): the same
    folder reached another way (a bind mount, a spelling the real path does not undo) counts."""
    try:
        wanted = os.stat(folder)
    except (OSError, ValueError):
        return False
    for parent in Path(os.path.abspath(path.expanduser())).parents:
        with contextlib.suppress(OSError, ValueError):
            found = os.stat(parent)
            if (found.st_dev, found.st_ino) == (wanted.st_dev, wanted.st_ino):
                return True
    return False


def refuse_inputs_as_outputs(
    outputs: Iterable[tuple[str, Path | None]],
    inputs: Iterable[tuple[str, Path | None]] = (),
    folders: Iterable[tuple[str, Path | None]] = (),
    nothing_done: str = "Nothing was written.",
) -> None:
    """Refuse, before any work, an output (named by the option that gives it) that is one of the `inputs`
    (files read) or lies in one of the `folders` being read: writing it would replace or add to what is read.
    Each is `(what, path)`; a None path is left out."""
    given_inputs = [(what, path) for what, path in inputs if path is not None]
    given_folders = [(what, _real(path)) for what, path in folders if path is not None]
    for flag, output in outputs:
        if output is None:
            continue
        for what, path in given_inputs:
            if _same_file(output, path):
                raise WriteError(f"{flag} {output} is {what} ({path}): writing it would replace that input. "
                                 f"Choose another name. {nothing_done}")  # fmt: skip
        real = _real(output)
        for what, folder in given_folders:
            if real == folder or real.is_relative_to(folder) or _inside(output, folder):
                raise WriteError(f"{flag} {output} lies in {what} ({folder}), which is read: write it somewhere "
                                 f"else. {nothing_done}")  # fmt: skip


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`'s target for writing; on success it replaces the target (the
    written data synced first), on any error it is removed and the target is untouched."""
    target = writable_target(path)
    made = make_folders(target.parent)
    try:
        handle, temporary = tempfile.mkstemp(prefix=temporary_prefix(target), suffix=TEMPORARY, dir=target.parent)
    except BaseException:
        remove_folders(made)
        raise
    try:
        os.fchmod(handle, FILE_MODE)  # mkstemp's 0600 would make every written file private to its owner
        with os.fdopen(handle, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        remove_folders(made)
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


def beside(path: str | Path, tag: str, suffix: str = "") -> Path:
    """A file beside `path`'s target with `tag` in its name: `digits.aegui.pt` -> `digits.TAG.aegui.pt` when the
    name ends in `suffix`, else `NAME.TAG`; the name before the tag is cut where the whole would be too long."""
    target = Path(path)
    name = target.name
    ending = suffix if suffix and name.endswith(suffix) and len(name) > len(suffix) else ""
    base = os.fsencode(name[: len(name) - len(ending)])
    added = os.fsencode(f".{tag}{ending}")
    room = max(_name_limit(target.parent) - len(added), 1)
    return target.with_name(os.fsdecode(base[:room] + added))


def keep_previous(path: str | Path, suffix: str = "") -> Path | None:
    """Before `path`'s file is replaced: keep a copy of it as `beside(path, "previous")` (written atomically; an
    older kept file is replaced). The kept file, or None where there was no file."""
    target = writable_target(path)
    if not target.is_file():
        return None
    kept = beside(target, "previous", suffix)
    try:
        with atomic_file(kept, "wb") as out, open(target, "rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
    except OSError as error:
        raise WriteError(
            f"Could not keep {target} as {kept} before replacing it: {error.strerror or error}."
        ) from error
    return kept
