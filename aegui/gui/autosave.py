"""Crash-recovery copies: one file per running instance, each guarded by a lock file.

An instance writes only its own copy and removes it only when its work is saved or a person let it
go. A copy whose lock is free belongs to an instance that is gone (a crash, a kill): that is what
the next start offers to restore. A second running instance never touches another's copy, and an
offered copy stays on disk until the person answers.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile

from aegui.core.checkpoints import SUFFIX, autosave_folder

PREFIX = "autosave"
WRITING = ".writing"


def _lock_for(path: Path) -> QLockFile:
    lock = QLockFile(str(path) + ".lock")
    lock.setStaleLockTime(0)  # a lock is stale only when its process is gone, never for its age
    return lock


@dataclass
class Orphan:
    """Another instance's copy, left behind when it ended without cleaning up; held while offered."""

    path: Path
    lock: QLockFile

    def release(self) -> None:
        """Leave the copy for a later start (the person did not answer)."""
        self.lock.unlock()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.lock.unlock()


class Autosave:
    """This instance's recovery copy. `write` runs in worker threads; the rest in the GUI thread."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else autosave_folder()
        self.path = self.folder / f"{PREFIX}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        self._lock: QLockFile | None = None
        self._guard = threading.Lock()  # orders a write's final rename against removal
        self._generation = 0  # bumped by every removal: a write begun before it is dropped

    def _hold(self) -> None:
        if self._lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = _lock_for(self.path)
            self._lock.tryLock(0)

    def exists(self) -> bool:
        return self.path.is_file()

    def begin(self) -> int:
        """Call in the GUI thread before handing a write to a worker; pass the result to `write`."""
        self._hold()
        return self._generation

    def write(self, generation: int, save) -> None:
        """Write through `save(path)` to a private file, then put it in place unless removed meanwhile."""
        writing = self.path.with_name(self.path.name + WRITING)
        save(writing)
        with self._guard:
            if generation == self._generation:
                os.replace(writing, self.path)
                return
        writing.unlink(missing_ok=True)

    def remove(self) -> None:
        """The work is saved or let go: drop the copy, and any write still in flight, without waiting."""
        with self._guard:
            self._generation += 1
            self.path.unlink(missing_ok=True)

    def adopt(self, orphan: Orphan) -> None:
        """Restore: another instance's copy becomes this instance's, so it is removed as ours is."""
        self._hold()
        with self._guard:
            self._generation += 1
            os.replace(orphan.path, self.path)
        orphan.lock.unlock()

    def close(self, keep: bool) -> None:
        """On quitting: keep the copy for the next start (unsaved work a person did not let go) or not."""
        if not keep:
            self.remove()
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def find_orphan(self) -> Orphan | None:
        """The newest copy whose instance is gone, locked by this one while it is offered; or None."""
        try:
            candidates = sorted(self.folder.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return None
        for path in candidates:
            if path == self.path or not path.is_file():
                continue
            lock = _lock_for(path)
            if lock.tryLock(0):
                return Orphan(path, lock)
        return None
