"""Where the window keeps its settings: an INI file per user, in QSettings' format, read and written here.

QSettings is not used to read it: it rebuilds `@Variant(...)` values with QDataStream, and PySide6 unpickles a
Python object stored that way, so a settings file could run code when the window started (and again when
QSettings wrote the file back). Here every value is plain text, a list of texts or the bytes of an
`@ByteArray(...)`; anything else (`@Variant`, `@Rect`...) is treated as absent and left out when the file is
next written. A path that is not a regular file (a named pipe, a folder, a device) is never opened: the window
starts with the defaults, says why, and saves nothing there.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import stat
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QTimer

from aegui.core.writes import KINDS, WriteError, write_text
from aegui.gui.window.settings_ini import UNSAFE, Raw, decode, encode, format_ini, normal, parse_ini

log = logging.getLogger(__name__)

MAX_SIZE = 1 << 20  # bytes; a settings file is a few hundred


def settings_path() -> Path:
    """The file QSettings(IniFormat, UserScope, "aegui", "aegui") uses; AEGUI_CONFIG_DIR moves its folder."""
    folder = os.environ.get("AEGUI_CONFIG_DIR")
    if folder:
        base = Path(folder)
    elif sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".config"
    return base / "aegui" / "aegui.ini"


class Settings:
    """The settings file's values (QSettings' names: value, setValue, contains, remove, clear, sync).

    `value` gives only plain values: a str, a list of str, a QByteArray (from `@ByteArray`) or None (`@Invalid`).
    Changes are written at `sync`, which the event loop calls soon after a change (and the process at its end),
    merged into the file as it is then (another instance may have written it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read_problem = self._write_problem = ""
        self._loaded: dict[str, Raw] = {}
        self._changes: dict[str, Raw | None] = {}  # None: removed
        self._cleared = False
        self._stamp: tuple | None = None
        self._sync_due = False
        self._load()

    @property
    def problem(self) -> str:
        """Why the file was not read, or could not be written, in a sentence ("" when all is well)."""
        return self._read_problem or self._write_problem

    def fileName(self) -> str:
        return str(self.path)

    def _raw(self, key: str) -> Raw | None:
        key = normal(key)
        if key in self._changes:
            return self._changes[key]
        return None if self._cleared else self._loaded.get(key)

    def contains(self, key: str) -> bool:
        return self._raw(key) is not None

    def value(self, key: str, default: Any = None) -> Any:
        """The stored value, or `default` when it is missing or not a plain value."""
        raw = self._raw(key)
        value = UNSAFE if raw is None else decode(raw)
        return default if value is UNSAFE else value

    def allKeys(self) -> list[str]:
        keys = set() if self._cleared else set(self._loaded)
        keys.update(self._changes)
        return sorted(key for key in keys if self._raw(key) is not None)

    def setValue(self, key: str, value: Any) -> None:
        """Keep `value` (str, bool, a number, a list of str, bytes or None); anything else is refused (logged)."""
        try:
            self._changes[normal(key)] = encode(value)
        except TypeError as error:
            log.error("Setting %s not kept: %s", key, error)
            return
        self._schedule_sync()

    def remove(self, key: str) -> None:
        """Remove `key` and every key under it (`remove("")` removes all, as QSettings does)."""
        key = normal(key)
        if not key:
            self.clear()
            return
        for other in self.allKeys():
            if other == key or other.startswith(key + "/"):
                self._changes[other] = None
        self._schedule_sync()

    def clear(self) -> None:
        self._changes.clear()
        self._cleared = True
        self._schedule_sync()

    def sync(self) -> None:
        """Write the changes into the file as it is now (re-read first), or say in `problem` why not."""
        self._sync_due = False
        self._load()
        if (not self._changes and not self._cleared) or self._read_problem:
            return
        merged = {} if self._cleared else {key: raw for key, raw in self._loaded.items() if decode(raw) is not UNSAFE}
        for key, raw in self._changes.items():
            if raw is None:
                merged.pop(key, None)
            else:
                merged[key] = raw
        try:
            write_text(self.path, format_ini(merged), "the settings")
        except WriteError as error:
            self._write_problem = f"{error} The settings changed in this session are not saved."
            log.warning("%s", self._write_problem)
            return
        self._loaded, self._changes, self._cleared, self._write_problem = merged, {}, False, ""
        self._stamp = _stamp(self.path)

    def _schedule_sync(self) -> None:
        if not self._sync_due and QCoreApplication.instance() is not None:
            self._sync_due = True
            QTimer.singleShot(0, self.sync)

    def _load(self) -> None:
        """Read the file again if it changed on disk since it was last read."""
        stamp = _stamp(self.path)
        if stamp == self._stamp and stamp is not None:
            return
        self._stamp = stamp
        data, self._read_problem = _read(self.path)
        if self._read_problem:
            log.warning("%s", self._read_problem)
        self._loaded = parse_ini(data)
        unsafe = sorted(key for key, raw in self._loaded.items() if decode(raw) is UNSAFE)
        if unsafe:
            log.warning("Ignored stored settings that are not plain values (%s) in %s: the defaults are used.",
                        ", ".join(unsafe), self.path)  # fmt: skip


_OPEN: dict[Path, Settings] = {}


def make_settings() -> Settings:
    """The app's settings, one object per settings file, brought up to date with the file (AEGUI_CONFIG_DIR moves
    them: tests use a private folder)."""
    path = settings_path()
    settings = _OPEN.get(path)
    if settings is None:
        settings = _OPEN[path] = Settings(path)
    else:
        settings._load()
    return settings


@atexit.register
def _sync_all() -> None:
    for settings in _OPEN.values():
        settings.sync()


# --- typed reading: what every reader of the settings uses ---


def read(settings: Settings, key: str, default, kind: type):
    """The stored text as `kind` (str, int, float or bool), or the default when it is missing or unusable (a
    number that is not finite, too)."""
    value = settings.value(key)
    if not isinstance(value, str):
        return default
    if kind is bool:
        return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(
            value.strip().lower(), default
        )
    try:
        result = kind(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return default if isinstance(result, float) and not math.isfinite(result) else result


def read_list(settings: Settings, key: str) -> list[str]:
    """The stored texts (a single text is a list of one); empty when missing or not texts."""
    value = settings.value(key)
    if isinstance(value, str):
        return [value]
    return value if isinstance(value, list) and all(isinstance(item, str) for item in value) else []


def read_bytes(settings: Settings, key: str) -> QByteArray | None:
    """The stored bytes (an `@ByteArray`, e.g. the window's geometry), or None."""
    value = settings.value(key)
    return value if isinstance(value, QByteArray) else None


# --- the file: reading it safely ---


def _stamp(path: Path) -> tuple | None:
    try:
        status = path.stat()
    except (OSError, ValueError):
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_mode


def _kind(mode: int) -> str:
    return next((name for test, name in KINDS if test(mode)), "not a regular file")


def _read(path: Path) -> tuple[bytes, str]:
    """The file's bytes and "", or b"" and why it was not read; a missing file is empty. Never waits: a named
    pipe or a device is refused before it is opened (and opened without blocking, in case it became one)."""
    why = "The settings file {} is {}; the window starts with the default settings and does not save them."
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return b"", ""
    except (OSError, ValueError) as error:
        return b"", why.format(path, f"unreadable ({getattr(error, 'strerror', None) or error})")
    if not stat.S_ISREG(mode):
        return b"", why.format(path, f"{_kind(mode)}, not a regular file")
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(descriptor, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                return b"", why.format(path, f"{_kind(mode)}, not a regular file")
            data = handle.read(MAX_SIZE + 1)
    except OSError as error:
        return b"", why.format(path, f"unreadable ({error.strerror or error})")
    if len(data) > MAX_SIZE:
        return b"", why.format(path, f"larger than {MAX_SIZE // 1024} KiB, not a settings file")
    return data, ""
