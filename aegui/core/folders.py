"""Where aegui keeps things on disk: the data folder (the one chosen in the window, shared with every
command), the cache, and the file that remembers the window's choice."""

from __future__ import annotations

import os
from pathlib import Path

from aegui.core.errors import AeguiError
from aegui.core.safe_text import terminal_text

MAX_NOTE_BYTES = 64 << 10  # the note of the chosen data folder: one path

CHOSEN_FOLDER_FILE = "data-folder.txt"


def default_data_dir() -> Path:
    """The data folder: AEGUI_DATA_DIR if set, else the folder last chosen in the window (File › Choose data
    folder…) while it exists, else the per-user data folder. The window and every command share it."""
    override = os.environ.get("AEGUI_DATA_DIR")
    if override:
        return Path(override).expanduser()
    chosen = chosen_data_folder()
    if chosen is not None:
        return chosen
    import platformdirs

    return Path(platformdirs.user_data_dir("aegui", appauthor=False)) / "datasets"


def _chosen_folder_file() -> Path:
    """Where the window's choice of data folder is kept, beside its settings (AEGUI_CONFIG_DIR moves both)."""
    override = os.environ.get("AEGUI_CONFIG_DIR")
    if override:
        return Path(override).expanduser() / "aegui" / CHOSEN_FOLDER_FILE
    import platformdirs

    return Path(platformdirs.user_config_dir("aegui", appauthor=False)) / CHOSEN_FOLDER_FILE


def chosen_data_folder() -> Path | None:
    """The data folder last chosen in the window, if it is still a folder."""
    from aegui.core.writes import readable_file

    try:  # (a named pipe there would wait forever, a link to /dev/zero would never end: regular files, small)
        with readable_file(_chosen_folder_file(), "the data folder's note").open("rb") as handle:
            text = handle.read(MAX_NOTE_BYTES + 1).decode("utf-8").strip()
    except (AeguiError, OSError, UnicodeDecodeError):
        return None
    if len(text) > MAX_NOTE_BYTES:
        return None
    folder = Path(text) if text else None
    return folder if folder is not None and folder.is_dir() else None


def remember_data_folder(folder: str | Path) -> None:
    """Keep the window's choice of data folder for the next start and for the command line."""
    from aegui.core.writes import write_text

    path = _chosen_folder_file()
    try:
        write_text(path, str(Path(folder).expanduser().resolve()) + "\n", "the data folder's note")
    except AeguiError as error:
        raise AeguiError(f"Could not remember the data folder: {error}") from error


def default_cache_dir() -> Path:
    """The per-user cache folder (overridable with AEGUI_CACHE_DIR)."""
    override = os.environ.get("AEGUI_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("aegui", appauthor=False))


def shown(place: str | Path) -> str:
    """A path as a person reads it: under the home folder as ~/…; anything else as it is (control characters
    and bytes that were not UTF-8 written out as escapes: see `terminal_text`)."""
    text, home = str(place), str(Path.home())
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return terminal_text("~" + text[len(home) :])
    return terminal_text(text)
