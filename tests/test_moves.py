"""Moving files aside and back (`core.files.moves`): the one mover of Outliers and Near-duplicates, which never
deletes and never moves over a file."""

from __future__ import annotations

import pytest

from aegui.core.errors import AeguiError
from aegui.core.files.moves import move_files, plan_moves, put_back


def _files(folder, *names):
    paths = []
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
        paths.append(path)
    return paths


def test_files_move_under_their_class_folders_and_come_back(tmp_path):
    source = tmp_path / "photos"
    paths = _files(source, "cats/1.png", "dogs/1.png")
    moved = move_files(plan_moves(paths, tmp_path / "aside", source))
    assert not moved.problem and [move.target for move in moved.done] == [tmp_path / "aside/cats/1.png",
                                                                         tmp_path / "aside/dogs/1.png"]  # fmt: skip
    assert not any(path.exists() for path in paths) and (tmp_path / "aside/dogs/1.png").read_bytes() == b"dogs/1.png"
    back = put_back(moved.done)
    assert not back.problem and all(path.is_file() for path in paths)
    assert not (tmp_path / "aside/cats/1.png").exists()


def test_nothing_moves_when_one_move_would_replace_or_lose_a_file(tmp_path):
    source = tmp_path / "photos"
    paths = _files(source, "a/1.png", "b/1.png")
    _files(tmp_path / "aside", "b/1.png")
    with pytest.raises(AeguiError, match="exists already; nothing was moved"):
        move_files(plan_moves(paths, tmp_path / "aside", source))
    with pytest.raises(AeguiError, match="Two files would be moved"):  # (by name alone, two files meet)
        move_files(plan_moves(paths, tmp_path / "elsewhere"))
    assert all(path.is_file() for path in paths) and not (tmp_path / "elsewhere").exists()
    with pytest.raises(AeguiError, match="is not there any more"):
        move_files(plan_moves([source / "gone.png"], tmp_path / "aside"))
