"""Training runs kept between sessions, as TensorBoard keeps its logs: one small JSON file per run (its name,
preset, code size, time, colour, whether it is shown, its settings and its history) in the per-user data
folder's `runs` folder (AEGUI_RUNS_DIR moves it). Several windows may keep runs there at once: each run is
its own file. A file that cannot be read is set aside (renamed), said, and never stops anything; a folder
that cannot be used turns keeping off, said once."""

from __future__ import annotations

import json
import math
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aegui.core.errors import AeguiError
from aegui.core.training.trainer import History

FORMAT, VERSION = "aegui-run", 1
SUFFIX = ".run.json"
UNREADABLE = ".unreadable"
MAX_RUN_BYTES = 256 << 20  # a run of five million batch losses
MAX_KEPT_SHOWN = 500  # the newest runs the window lists (the others stay on disk)
MAX_TEXT = 200
MAX_BATCH_LOSSES = 5_000_000
MAX_EPOCHS = 200_000
EPOCH_KEYS = ("epoch", "train_loss", "test_loss", "test_mse")


REMOVED = "removed"  # where a removed run's file goes


def runs_folder() -> Path:
    """Where runs are kept: AEGUI_RUNS_DIR, else the per-user data folder's `runs` (beside the autosaves)."""
    override = os.environ.get("AEGUI_RUNS_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("aegui", appauthor=False)) / "runs"


@dataclass
class KeptRun:
    """One run as it is kept: what the runs list shows of it, and its history."""

    name: str
    preset: str
    code_size: int
    seconds: float
    colour: tuple[int, int, int]
    history: History
    visible: bool = True
    settings: dict = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def file_name(self) -> str:
        return f"{self.created}-{self.id}{SUFFIX}"

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": VERSION, "id": self.id, "created": self.created,
                           "name": self.name, "preset": self.preset, "code_size": self.code_size,
                           "seconds": self.seconds, "colour": list(self.colour), "visible": self.visible,
                           "settings": self.settings, "epochs": self.history.epochs,
                           "batch_losses": self.history.batch_losses})  # fmt: skip


class RunFileError(AeguiError):
    """A kept run's file that cannot be used, with the reason."""


def _fail(why: str):
    raise RunFileError(why)


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        _fail(f"its {key} is not a short text")
    return value


def _number(value: Any, what: str, finite: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (finite and not math.isfinite(value)):
        _fail(f"{what} is not a number")
    return float(value)


def _epochs(value: Any) -> list[dict[str, float]]:
    if not isinstance(value, list) or len(value) > MAX_EPOCHS:
        _fail("its epochs are not a list of records")
    for record in value:
        if not isinstance(record, dict) or len(record) > 32 or any(key not in record for key in EPOCH_KEYS):
            _fail("an epoch of its history is not a record of its losses")
        for key, number in record.items():
            _number(number, f"its epochs' {str(key)[:40]!r}")
    return value


def parse_run(text: bytes | str) -> KeptRun:
    """A kept run from its file's contents; RunFileError says why it cannot be used."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise RunFileError(f"it is not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        _fail("it is not a run kept by aegui")
    if data.get("version") != VERSION:
        _fail(f"it was kept by another version of aegui (version {data.get('version')!r})")
    colour = data.get("colour")
    if not isinstance(colour, list) or len(colour) != 3 or not all(isinstance(c, int) and 0 <= c < 256 for c in colour):
        _fail("its colour is not three numbers from 0 to 255")
    losses = data.get("batch_losses")
    if not isinstance(losses, list) or len(losses) > MAX_BATCH_LOSSES:
        _fail("its batch losses are not a list of numbers")
    code_size, settings, visible = data.get("code_size"), data.get("settings"), data.get("visible")
    if isinstance(code_size, bool) or not isinstance(code_size, int) or not 0 < code_size < 1 << 20:
        _fail("its code size is not a count")
    if not isinstance(settings, dict) or not isinstance(visible, bool):
        _fail("its settings are not readable")
    history = History(_epochs(data.get("epochs")), [_number(loss, "a batch loss", finite=False) for loss in losses])
    seconds = max(_number(data.get("seconds"), "its time"), 0.0)
    return KeptRun(_text(data, "name"), _text(data, "preset"), code_size, seconds, tuple(colour), history, visible,
                   settings, _text(data, "created"), _text(data, "id"))  # fmt: skip


class RunStore:
    """The runs folder. Writes may come from worker threads: the newest request for a run wins."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else runs_folder()
        self._guard = threading.Lock()
        self._latest: dict[str, int] = {}  # the newest write asked for, per run id (removed: -1)
        self._count = 0
        self.problem = ""  # why runs cannot be kept here (said once), "" while they can

    def ticket(self, run_id: str) -> int:
        """A number for a write asked for now (in the GUI thread): an older one arriving later is dropped."""
        self._count += 1
        self._latest[run_id] = self._count
        return self._count

    def forget(self, run_id: str) -> None:
        """The run was removed: no write of it lands any more."""
        self._latest[run_id] = -1

    def save(self, run: KeptRun, ticket: int) -> None:
        """Write the run's file (atomically), unless a newer write or its removal was asked for since."""
        from aegui.core.writes import write_text

        with self._guard:
            if self._latest.get(run.id) != ticket:
                return
            self._check_folder()
            write_text(self.folder / run.file_name, run.to_json(), "the run")

    def remove(self, run: KeptRun) -> Path | None:
        """Take the run out of the list: its file moves into the runs folder's `removed` folder (nothing is lost;
        moved back, the run is listed again). Returns where it went (None: it had no file)."""
        with self._guard:
            self.forget(run.id)
            path = self.folder / run.file_name
            if not path.exists():
                return None
            aside = self.folder / REMOVED / run.file_name
            try:
                aside.parent.mkdir(exist_ok=True)
                path.replace(aside)
            except OSError as error:
                raise AeguiError(f"Could not remove the kept run {run.name}: {error.strerror or error}.") from error
            return aside

    def _check_folder(self) -> None:
        for path in (self.folder, *self.folder.parents):
            if path.exists():
                if not path.is_dir():
                    raise AeguiError(f"Runs are not kept between sessions: {path} is a file, not a folder. Move it "
                                     "away, or set AEGUI_RUNS_DIR to a folder.")  # fmt: skip
                return

    def load(self) -> tuple[list[KeptRun], list[str]]:
        """The kept runs, oldest first (the newest MAX_KEPT_SHOWN), and a sentence per problem: a file that
        cannot be read is renamed (kept for a person to look at, not tried again)."""
        from aegui.core.writes import readable_file

        try:
            self._check_folder()
            paths = sorted(self.folder.glob(f"*{SUFFIX}"))[-MAX_KEPT_SHOWN:] if self.folder.is_dir() else []
        except (AeguiError, OSError) as error:
            return [], [str(error) if isinstance(error, AeguiError) else f"Could not read the kept runs: {error}."]
        runs, problems = [], []
        for path in paths:
            try:
                with readable_file(path, "the kept run").open("rb") as handle:
                    text = handle.read(MAX_RUN_BYTES + 1)
                if len(text) > MAX_RUN_BYTES:
                    _fail("it is larger than any run aegui keeps")
                run = parse_run(text)
                if run.file_name != path.name:
                    _fail("its name does not match what it holds")
                runs.append(run)
            except (AeguiError, OSError) as error:
                problems.append(self._set_aside(path, getattr(error, "strerror", None) or str(error)))
        return runs, problems

    def _set_aside(self, path: Path, why: str) -> str:
        aside = path.with_name(path.name + UNREADABLE)
        try:
            path.replace(aside)
        except OSError:
            return f"A kept run could not be read and was left as it is: {path} ({why})."
        return f"A kept run could not be read ({why}); it was set aside as {aside}."
