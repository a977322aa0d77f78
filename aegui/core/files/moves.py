"""Moving image files aside, and back: the one way the window moves a person's files (an outlier, copies of
near-duplicates). Nothing is deleted and nothing is moved over another file: every move is checked before the
first is made, and what was moved can be put back where it was."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aegui.core.errors import AeguiError


@dataclass(frozen=True)
class Move:
    """A file moved (or to move) from `source` to `target`."""

    source: Path
    target: Path


@dataclass(frozen=True)
class Moved:
    """What a set of moves did: `done`, in order, and `problem` ('' when every move was made)."""

    done: tuple[Move, ...]
    problem: str = ""


def plan_moves(files: Iterable[Path], folder: Path, root: Path | None = None) -> list[Move]:
    """Where each of `files` goes in `folder`: under its path relative to `root` (a class's subfolder is kept, so
    two files of one name in two classes do not meet), or by its name alone without a root."""
    return [Move(path, folder / (path.relative_to(root) if root is not None else Path(path.name))) for path in files]


def check_moves(moves: Sequence[Move]) -> None:
    """Refuse (AeguiError) moves that could lose or replace a file: a source that is not a file, a target that
    exists, two files to one place."""
    targets: set[Path] = set()
    for move in moves:
        if not move.source.is_file():
            raise AeguiError(f"{move.source} is not there any more; nothing was moved.")
        if move.target.exists() or move.target.is_symlink():
            raise AeguiError(f"{move.target} exists already; nothing was moved.")
        if move.target in targets:
            raise AeguiError(f"Two files would be moved to {move.target}; nothing was moved.")
        targets.add(move.target)


def move_files(moves: Sequence[Move]) -> Moved:
    """Make `moves` after checking them all (raises AeguiError, having moved nothing, where one could lose or
    replace a file); an error on the way stops there and says so, with the moves made until then."""
    check_moves(moves)
    done: list[Move] = []
    for move in moves:
        try:
            if move.target.exists():  # (made since the check)
                raise AeguiError(f"{move.target} exists already")
            move.target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(move.source), str(move.target))
        except (OSError, AeguiError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            return Moved(tuple(done), f"Could not move {move.source.name}: {reason}")
        done.append(move)
    return Moved(tuple(done))


def put_back(moves: Sequence[Move]) -> Moved:
    """Undo `moves`: each file back where it was (never over a file that has taken its place)."""
    return move_files([Move(move.target, move.source) for move in reversed(moves)])
