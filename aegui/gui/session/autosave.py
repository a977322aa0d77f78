"""Crash-recovery copies: one file per running instance, each guarded by a lock file.

An instance writes only its own copy and removes it only when its work is saved or a person let it
go. A copy whose lock is free belongs to an instance that is gone (a crash, a kill): that is what
the next start offers to restore. A second running instance never touches another's copy, and an
offered copy stays on disk until the person answers.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QLockFile

from aegui.core.errors import AeguiError
from aegui.core.files.checkpoints import (
    Checkpoint,
    CheckpointError,
    autosave_folder,
    load_checkpoint,
    remove_stale_temporaries,
    save_weights,
)
from aegui.core.model.autoencoder import ModelConfig
from aegui.core.model.configs import SUFFIX
from aegui.core.training.trainer import History, TrainConfig
from aegui.core.writes import KINDS, TEMPORARY
from aegui.gui.concurrency.threads import run_in_thread
from aegui.gui.session.data_fit import data_title

PREFIX = "autosave"
WRITING = ".writing"
CONTEXT = ".json"  # beside each copy: what the session knew besides the model (how many epochs its run had left)
MAX_CONTEXT_BYTES = 64 << 10
log = logging.getLogger(__name__)


class AutosaveError(AeguiError):
    """The recovery copy cannot be kept where asked (the folder is a file, say), in a sentence."""


def folder_problem(folder: Path) -> str:
    """Why no recovery copy can be kept in `folder`, in a sentence; "" when it can (a folder, or nothing yet
    under a folder)."""
    for path in (folder, *folder.parents):
        try:
            mode = path.stat().st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # (a parent says why)
        except (OSError, ValueError) as error:
            return f"Autosave is off: the folder {folder} cannot be used ({getattr(error, 'strerror', None) or error})."
        if stat.S_ISDIR(mode):
            return ""
        kind = next((name for test, name in KINDS if test(mode)), "a file")
        return (f"Autosave is off: crash-recovery copies go to {folder}, and {path} is {kind}, not a folder. "
                f"Move it away, or set AEGUI_AUTOSAVE_DIR to a folder.")  # fmt: skip
    return ""


def _ignore(_result: object) -> None:
    pass


def _lock_for(path: Path) -> QLockFile:
    lock = QLockFile(str(path) + ".lock")
    lock.setStaleLockTime(0)  # a lock is stale only when its process is gone, never for its age
    return lock


@dataclass
class Orphan:
    """Another instance's copy, left behind when it ended without cleaning up; held while offered."""

    path: Path
    lock: QLockFile
    checkpoint: Checkpoint
    context: dict = field(default_factory=dict)  # what `Autosave.write_in_background` was given as context

    def describe(self) -> str:
        data = f", trained on {data_title(self.checkpoint.dataset)}" if self.checkpoint.dataset else ""
        return (
            f"aegui stopped unexpectedly while a model was training. Restore it? "
            f"({self.checkpoint.summary()}{data}, autosaved {self.checkpoint.created.replace('T', ' ')} UTC)"
        )

    def release(self) -> None:
        """Leave the copy for a later start (the person did not answer)."""
        self.lock.unlock()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        context_of(self.path).unlink(missing_ok=True)
        self.lock.unlock()


def context_of(path: Path) -> Path:
    """Where the context of the copy at `path` is kept."""
    return path.with_name(path.name + CONTEXT)


def read_context(path: Path) -> dict:
    """The context kept beside a copy; {} when there is none or it cannot be read (the copy still opens)."""
    from aegui.core.writes import readable_file

    try:
        with readable_file(context_of(path), "the autosave's context").open("rb") as handle:
            text = handle.read(MAX_CONTEXT_BYTES + 1)
        context = json.loads(text) if len(text) <= MAX_CONTEXT_BYTES else None
    except (AeguiError, OSError, ValueError):
        return {}
    return context if isinstance(context, dict) else {}


class Autosave:
    """This instance's recovery copy. `write` runs in worker threads; the rest in the GUI thread."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else autosave_folder()
        self.path = self.folder / f"{PREFIX}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        self._lock: QLockFile | None = None
        self._guard = threading.Lock()  # orders a write's final rename against removal
        self._generation = 0  # bumped by every removal: a write begun before it is dropped
        self._reported = ""  # the folder's problem, once said (a write then skips it quietly)

    def _hold(self) -> None:
        """Make the folder and take this copy's lock; AutosaveError when the folder cannot be used."""
        if self._lock is None:
            problem = folder_problem(self.folder)
            if not problem:
                try:
                    self.folder.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    problem = f"Autosave is off: the folder {self.folder} cannot be made ({error.strerror or error})."
            if problem:
                raise AutosaveError(problem)
            self._lock = _lock_for(self.path)
            self._lock.tryLock(0)

    def exists(self) -> bool:
        return self.path.is_file()

    def write_in_background(self, config: ModelConfig, state: dict, history: History,
                            train_config: TrainConfig | None, dataset: str, preset: str, on_error,
                            context: dict | None = None) -> None:  # fmt: skip
        """Write a copy of these weights (and, beside it, `context`: plain JSON) in a worker thread; a removal
        meanwhile drops it."""
        run_in_thread(self._write, self._generation, config, state, history, train_config, dataset, preset,
                      context=context, on_result=_ignore, on_error=on_error)  # fmt: skip

    def _write(self, generation: int, *contents, context: dict | None = None) -> None:
        """Write to a private file, then put it in place unless the copy was removed meanwhile."""
        with self._guard:
            try:
                self._hold()  # (taking a lock file writes it: not in the GUI thread)
            except AutosaveError as error:
                if str(error) == self._reported:
                    return  # (said once already: no copy until the folder can be used)
                self._reported = str(error)
                raise
        writing = self.path.with_name(self.path.name + WRITING)
        save_weights(writing, *contents)
        context_writing = context_of(self.path).with_name(context_of(self.path).name + WRITING)
        if context is not None:
            context_writing.write_text(json.dumps(context), encoding="utf-8")
        with self._guard:
            if generation == self._generation:
                os.replace(writing, self.path)
                if context is not None:
                    os.replace(context_writing, context_of(self.path))
                return
        writing.unlink(missing_ok=True)
        context_writing.unlink(missing_ok=True)

    def remove(self) -> None:
        """The work is saved or let go: drop the copy, and any write still in flight, without waiting."""
        with self._guard:
            self._generation += 1
            try:
                self.path.unlink(missing_ok=True)
                context_of(self.path).unlink(missing_ok=True)
            except NotADirectoryError:
                pass  # (the folder is a file: there is no copy)
            except OSError as error:
                log.warning("Could not remove the autosaved copy %s: %s", self.path, error.strerror or error)

    def adopt(self, orphan: Orphan) -> None:
        """Restore: another instance's copy becomes this instance's, so it is removed as ours is."""
        with self._guard:
            self._hold()
            self._generation += 1
            os.replace(orphan.path, self.path)
            if context_of(orphan.path).exists():
                os.replace(context_of(orphan.path), context_of(self.path))
        orphan.lock.unlock()

    def close(self, keep: bool) -> None:
        """On quitting: keep the copy for the next start (unsaved work a person did not let go) or not."""
        if not keep:
            self.remove()  # (never raises: a copy it cannot remove is logged)
        with self._guard:
            if self._lock is not None:
                self._lock.unlock()
                self._lock = None

    def find_orphan(self) -> Orphan | None:
        """The newest readable copy whose instance is gone, locked by this one while it is offered; or
        None. A copy that cannot be read is set aside (renamed), so it is not tried again at each start.
        AutosaveError when the folder cannot be used (a file is where it should be)."""
        problem = folder_problem(self.folder)
        if problem:
            with self._guard:
                self._reported = problem
            raise AutosaveError(problem)
        for leftover in (f"{PREFIX}*{TEMPORARY}", f"{PREFIX}*{WRITING}"):  # of writes killed midway
            remove_stale_temporaries(self.folder, leftover)
        try:
            candidates = sorted(self.folder.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return None
        for path in candidates:
            if path == self.path or not path.is_file():
                continue
            lock = _lock_for(path)
            if not lock.tryLock(0):
                continue  # its instance is running
            try:
                return Orphan(path, lock, load_checkpoint(path), read_context(path))
            except CheckpointError:
                try:
                    path.replace(path.with_name(path.name + ".unreadable"))
                except OSError:
                    path.unlink(missing_ok=True)
                lock.unlock()
        return None
