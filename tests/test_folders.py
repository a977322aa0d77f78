"""Image folders as people have them: train/ with validation/ or test/, numbered classes, and hostile ones
(names that are not UTF-8, deep nesting, unreadable folders, links back up, pipes, huge images)."""

import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aegui.cli import main
from aegui.core.data.image_files import ImageFileError, image_to_input, read_image
from aegui.core.data.images import class_order, load_image_folder


def _digit(path: Path, value: int = 0) -> None:
    picture = np.full((32, 32), 255, np.uint8)
    picture[6:26, 12 + value % 5 : 16 + value % 5] = 0  # a dark stroke on white
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture).save(path)


def _classes(root: Path, names, per_class: int = 4) -> None:
    for name in names:
        for index in range(per_class):
            _digit(root / name / f"{index}.png", index)


def test_train_validation_test_keeps_its_classes_and_says_what_it_used(tmp_path):
    for split, count in (("train", 6), ("validation", 3), ("test", 2)):
        _classes(tmp_path / "data" / split, ["cat", "dog"], count)
    dataset, report = load_image_folder(tmp_path / "data", cache_dir=tmp_path / "cache")
    assert dataset.classes == ("cat", "dog")
    assert (len(dataset.train_images), len(dataset.test_images)) == (12, 6)  # validation is the test line
    assert "validation/" in report.layout and "test/ was not used" in report.layout


@pytest.mark.parametrize(("train", "held_out"), [("train", "val"), ("training", "testing"), ("Train", "Validation")])
def test_other_names_for_the_parts(tmp_path, train, held_out):
    _classes(tmp_path / "data" / train, ["a", "b"], 6)
    _classes(tmp_path / "data" / held_out, ["a", "b"], 2)
    dataset, report = load_image_folder(tmp_path / "data", cache_dir=tmp_path / "cache")
    assert (len(dataset.train_images), len(dataset.test_images)) == (12, 4)
    assert f"test images from {held_out}/" in report.layout


def test_numbered_classes_sort_as_numbers(tmp_path):
    names = [str(number) for number in range(11)]
    _classes(tmp_path / "data", names, 2)
    dataset, _report = load_image_folder(tmp_path / "data", cache_dir=tmp_path / "cache")
    assert dataset.classes == tuple(names)  # 0, 1, 2, …, 10; not 0, 1, 10, 2, …
    assert class_order(["b", "a", "10"]) == ("10", "a", "b")


def test_names_that_are_not_utf8_are_read_and_shown(tmp_path, capsys):
    folder = tmp_path / "data"
    _classes(folder, ["one", "two"], 6)
    odd = os.path.join(os.fsencode(folder / "one"), b"caf\xe9.png")  # Latin-1, not UTF-8
    with open(odd, "wb") as handle:
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(handle, format="PNG")
    with open(os.path.join(os.fsencode(folder / "two"), b"notes\xff.txt"), "wb") as handle:
        handle.write(b"x")
    dataset, report = load_image_folder(folder, cache_dir=tmp_path / "cache")
    assert len(dataset.train_images) + len(dataset.test_images) == 13
    assert any("notes\ufffd.txt" in name for name, _why in report.skipped)
    assert main(["train", "--images", str(folder), "--epochs", "1", "--preset", "seed"]) == 0
    assert "notes\ufffd.txt" in capsys.readouterr().out


def test_deep_folders_and_links_back_up(tmp_path):
    folder = tmp_path / "data"
    _classes(folder, ["a", "b"], 6)
    deep = folder / "a"
    for _ in range(1100):  # (one level at a time: pathlib's mkdir(parents=True) itself recurses)
        deep = deep / "d"
        deep.mkdir()
    _digit(deep / "deep.png")
    (folder / "x").symlink_to(".")  # a link to the folder itself: neither a class nor a way round
    (folder / "a" / "up").symlink_to("..")
    try:
        dataset, report = load_image_folder(folder, cache_dir=tmp_path / "cache")
        assert dataset.classes == ("a", "b") and len(dataset.train_images) + len(dataset.test_images) == 13
        assert ("a/up", "a link to a folder (not followed)") in report.skipped
    finally:  # (one level at a time again: pytest's clean-up of its temporary folders recurses)
        (deep / "deep.png").unlink()
        while deep != folder / "a":
            deep.rmdir()
            deep = deep.parent


def test_an_unreadable_class_folder_is_named_not_silently_empty(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    _classes(folder, ["a", "b", "c"], 6)
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith(os.sep + "c"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    _dataset, report = load_image_folder(folder, cache_dir=tmp_path / "cache")
    assert ("c", "cannot be read (Permission denied)") in report.skipped


@pytest.mark.timeout(20)
def test_a_pipe_is_not_read_and_nothing_hangs(tmp_path):
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    with pytest.raises(ImageFileError, match="not a regular file"):
        image_to_input(pipe)


def _png_header(path: Path, width: int, height: int) -> None:
    """A PNG that declares width x height pixels (its data never written: nothing should read it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IEND", b""))  # fmt: skip


def test_a_huge_image_is_too_large_not_unreadable_and_a_large_one_is_reduced_first(tmp_path):
    _png_header(tmp_path / "huge.png", 20_000, 20_000)
    with pytest.raises(ImageFileError, match="too large"):
        read_image(tmp_path / "huge.png")
    big = np.full((3000, 2000), 255, np.uint8)
    big[1000:2000, 900:1100] = 0
    Image.fromarray(big).save(tmp_path / "big.png")
    assert max(read_image(tmp_path / "big.png").shape) == 512  # reduced before any float copy of 6M pixels
    assert image_to_input(tmp_path / "big.png").max() > 0.5


def test_the_metrics_file_lists_every_skipped_file(tmp_path, capsys):
    folder = tmp_path / "data"
    _classes(folder, ["a", "b"], 6)
    for index in range(7):
        (folder / "a" / f"notes{index}.txt").write_text("x")
    metrics = tmp_path / "m.json"
    assert main(["train", "--images", str(folder), "--epochs", "1", "--preset", "seed", "--metrics-out",
                 str(metrics)]) == 0  # fmt: skip
    skipped = json.loads(metrics.read_text())["config"]["skipped_files"]
    assert sorted(name for name, _why in skipped) == [f"a/notes{index}.txt" for index in range(7)]
