"""A person's own images: one file as the model's input, a folder as a dataset (core and CLI)."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from aegui import image_to_input
from aegui.cli import main
from aegui.core.data import images as image_folders
from aegui.core.data.datasets import DataError
from aegui.core.data.image_files import ImageFileError, read_image
from aegui.core.data.images import load_image_folder
from aegui.core.data.preprocessing import CENTRE, fit_image
from aegui.core.errors import Cancelled
from benchmarks.images import DIGIT_NAMES, write_digit_folder


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(image.shape)
    return np.array([(image * cols).sum(), (image * rows).sum()]) / image.sum()


@pytest.fixture(scope="module")
def digits(sample):
    return sample.test_images[:60].numpy(), sample.test_labels[:60].numpy()


@pytest.fixture
def folder(tmp_path, digits):
    """60 dark-on-light RGB digits in class folders, two corrupt files and a text file among them."""
    return write_digit_folder(tmp_path / "my digits", *digits)


# --- one image ----------------------------------------------------------------------------------


def test_fitting_is_mnists_dark_on_light_is_inverted_and_the_aspect_kept(sample):
    digit = sample.test_images[0].numpy() / 255.0
    fitted = fit_image(digit)
    assert fitted.shape == (28, 28) and fitted.dtype == np.float32
    assert np.abs(centre_of_mass(fitted) - CENTRE).max() < 0.1  # placed by its centre of mass, as MNIST
    assert np.abs(fit_image(1.0 - digit) - fitted).max() < 1e-6  # paper-like: inverted to the same image
    upscaled = np.kron(digit, np.ones((5, 5)))  # the same digit at 140x140
    assert np.abs(fit_image(upscaled) - fitted).mean() < 0.03
    bar = np.zeros((100, 300))
    bar[40:60, 50:250] = 1.0  # a wide bar stays wide: 20 pixels long, 2 high (placed to a fraction of a pixel)
    fitted_bar = fit_image(bar)
    assert abs(fitted_bar.sum() - 40) < 1.5
    ink = fitted_bar > 0.25
    assert 20 <= ink.any(axis=0).sum() <= 21 and 2 <= ink.any(axis=1).sum() <= 3


def test_blank_and_odd_images_give_zeros_or_a_clear_error():
    assert not fit_image(np.full((40, 40), 0.7)).any()  # no contrast: nothing to show
    assert np.isfinite(fit_image(np.array([[np.nan, 1.0], [0.0, np.inf]]))).all()
    with pytest.raises(ValueError, match="grayscale"):
        fit_image(np.zeros((4, 4, 3)))


def test_image_files_of_every_kind_read_as_the_same_digit(tmp_path, sample):
    digit = sample.test_images[1].numpy()
    expected = fit_image(digit / 255.0)
    rgb = np.repeat(255 - digit[..., None], 3, axis=2)  # black ink on white paper
    Image.fromarray(rgb).save(tmp_path / "paper.png")
    Image.fromarray(rgb).save(tmp_path / "paper.bmp")
    Image.fromarray(rgb).save(tmp_path / "paper.webp", lossless=True)
    Image.fromarray((255 - digit).astype(np.uint16) * 257).save(tmp_path / "deep.tif")  # 16-bit
    transparent = np.zeros((28, 28, 4), np.uint8)
    transparent[..., 3] = digit  # ink as opacity over nothing
    Image.fromarray(transparent, "RGBA").save(tmp_path / "transparent.png")
    for name in ("paper.png", "paper.bmp", "paper.webp", "deep.tif", "transparent.png"):
        assert np.abs(image_to_input(tmp_path / name) - expected).max() < 0.02, name
    Image.fromarray(rgb).save(tmp_path / "paper.jpg", quality=95)
    assert np.abs(image_to_input(tmp_path / "paper.jpg") - expected).mean() < 0.02


def test_unreadable_files_raise_a_clear_error(tmp_path):
    # (fixed bytes: random ones now and then read as a chunk header, and Pillow says "truncated" instead)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not an image, only words " * 4)
    with pytest.raises(ImageFileError, match="cannot be read as an image"):
        image_to_input(tmp_path / "broken.png")
    with pytest.raises(ImageFileError, match="cannot be read"):
        read_image(tmp_path / "absent.png")
    Image.new("L", (4, 4)).save(tmp_path / "whole.png")
    (tmp_path / "cut.png").write_bytes((tmp_path / "whole.png").read_bytes()[:40])
    with pytest.raises(ImageFileError):
        image_to_input(tmp_path / "cut.png")


def test_an_image_too_large_to_decode_is_refused_before_decoding(tmp_path, monkeypatch):
    Image.new("L", (300, 300), 255).save(tmp_path / "big.png")
    monkeypatch.setattr("aegui.core.data.image_files.MAX_PIXELS", 200 * 200)
    with pytest.raises(ImageFileError, match="too large"):
        image_to_input(tmp_path / "big.png")


# --- a folder -----------------------------------------------------------------------------------


def test_a_folder_of_class_folders_is_a_dataset_with_their_names(folder, tmp_path, digits):
    dataset, report = load_image_folder(folder, cache_dir=tmp_path / "cache")
    assert dataset.name == "images" and dataset.title == "my digits"
    assert dataset.classes == tuple(sorted(DIGIT_NAMES))
    assert len(dataset.train_images) + len(dataset.test_images) == 60
    assert 5 <= len(dataset.test_images) <= 15 and dataset.train_images.shape[1:] == (28, 28)
    # every label is the folder its image was in
    names = [dataset.class_name(int(label)) for label in dataset.test_labels]
    assert set(names) <= set(DIGIT_NAMES)
    assert len(report.skipped) == 3
    assert report.describe().startswith("3 files skipped: ")
    assert "notes0.txt (not an image file (.txt))" in report.describe()
    assert "broken0.png (cannot be read as an image)" in report.describe()
    # the images are the digits, fitted: bright on dark like MNIST's
    assert 0.05 < dataset.train_images.float().mean().item() / 255 < 0.3


def test_the_split_is_seeded_and_train_test_folders_are_respected(folder, tmp_path, digits):
    first, _ = load_image_folder(folder, cache_dir=tmp_path / "a")
    again, _ = load_image_folder(folder, cache_dir=tmp_path / "b")  # no cache: converted again
    assert np.array_equal(first.test_images.numpy(), again.test_images.numpy())
    split = tmp_path / "split"
    write_digit_folder(split / "train", digits[0][:40], digits[1][:40], broken=0, text_files=0)
    write_digit_folder(split / "test", digits[0][40:], digits[1][40:], broken=0, text_files=0)
    dataset, _ = load_image_folder(split, cache_dir=tmp_path / "c")
    assert (len(dataset.train_images), len(dataset.test_images)) == (40, 20)
    assert dataset.classes == tuple(sorted(DIGIT_NAMES))


def test_a_flat_folder_is_one_unlabelled_class(tmp_path, digits):
    flat = tmp_path / "flat"
    flat.mkdir()
    for index, image in enumerate(digits[0][:12]):
        Image.fromarray(255 - image).save(flat / f"{index}.png")
    dataset, report = load_image_folder(flat, cache_dir=tmp_path / "cache")
    assert dataset.classes == ("images",) and not report.skipped
    assert set(dataset.train_labels.tolist()) == {0}


def test_too_few_readable_images_or_no_folder_is_a_clear_error(tmp_path, digits):
    few = write_digit_folder(tmp_path / "few", digits[0][:9], digits[1][:9], broken=2)
    with pytest.raises(DataError, match="only 9 readable images; at least 10") as raised:
        load_image_folder(few, cache_dir=tmp_path / "cache")
    assert "files skipped" in str(raised.value)
    with pytest.raises(DataError, match="does not exist"):
        load_image_folder(tmp_path / "absent")


def test_the_cache_makes_a_second_open_instant_and_follows_changes(folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first, _ = load_image_folder(folder, cache_dir=cache)
    converted = []
    monkeypatch.setattr(image_folders, "_convert", lambda files, *a: converted.append(files) or [])
    again, report = load_image_folder(folder, cache_dir=cache)
    assert report.from_cache and not converted and len(report.skipped) == 3
    assert np.array_equal(first.train_images.numpy(), again.train_images.numpy())
    assert again.classes == first.classes
    monkeypatch.undo()
    changed = sorted((folder / "one").glob("0*.png"))[0]
    Image.new("RGB", (64, 64), "white").save(changed)  # same name, new content (and time)
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    _, report = load_image_folder(folder, cache_dir=cache)
    assert not report.from_cache
    for stored in (cache / "image-folders").glob("*.npz"):
        stored.write_bytes(b"damaged")
    reread, report = load_image_folder(folder, cache_dir=cache)
    assert not report.from_cache and len(reread.train_images) + len(reread.test_images) == 60


def test_conversion_by_processes_matches_and_can_be_cancelled(folder, tmp_path, monkeypatch):
    alone, _ = load_image_folder(folder, cache_dir=tmp_path / "one")
    monkeypatch.setattr(image_folders, "PROCESSES_FROM", 10)  # a pool of processes even for 60 files
    monkeypatch.setattr(image_folders, "PROGRESS_EVERY", 16)
    seen = []
    pooled, _ = load_image_folder(folder, cache_dir=tmp_path / "two", progress=lambda done, total: seen.append(done))
    assert np.array_equal(alone.train_images.numpy(), pooled.train_images.numpy())
    assert seen == [16, 32, 48, 62]  # 60 images and 2 corrupt ones tried (the text file is skipped unread)
    with pytest.raises(Cancelled):
        load_image_folder(folder, cache_dir=tmp_path / "three", cancelled=lambda: True)


def test_cli_trains_on_an_image_folder_and_says_what_it_skipped(folder, tmp_path, capsys):
    metrics = tmp_path / "m.json"
    code = main(["train", "--images", str(folder), "--epochs", "1", "--hidden", "32", "--code-size", "4",
                 "--metrics-out", str(metrics)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Data: my digits " in out and "3 files skipped:" in out
    result = json.loads(metrics.read_text())
    assert result["config"]["classes"] == sorted(DIGIT_NAMES) and result["config"]["dataset"] == "images"
    assert main(["train", "--images", str(tmp_path / "absent"), "--epochs", "1"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_helper_processes_that_die_leave_the_work_to_this_one(folder, tmp_path, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    class DyingPool:
        def map(self, *args, **kwargs):
            raise BrokenProcessPool("a helper process was killed")

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(image_folders, "_start_pool", lambda workers: DyingPool())
    monkeypatch.setattr(image_folders, "PROCESSES_FROM", 10)
    dataset, report = load_image_folder(folder, cache_dir=tmp_path / "cache")
    assert len(dataset.train_images) + len(dataset.test_images) == 60 and len(report.skipped) == 3
