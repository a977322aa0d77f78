"""Images as people have them (issue 27): colour and any size through the core, the model file, the
trainer and the command line; fitting photos whole; labels from a CSV; specks never blown up."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from aegui.cli import main
from aegui.core.analysis.mosaic import contact_sheet
from aegui.core.data.image_files import Fitting, fitting_for, image_to_input
from aegui.core.data.images import converting_workers, load_image_folder
from aegui.core.data.preprocessing import fit_image, strokes_over_image
from aegui.core.data.shapes import Reading, pictures
from aegui.core.files.checkpoints import load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import build_model
from aegui.core.model.configs import ModelConfig, TrainConfig
from aegui.core.training.trainer import Trainer
from benchmarks.images import write_photo_folder

SMALL_CONV = ModelConfig(kind="conv", channels=(8, 16), hidden_sizes=(), code_size=32, activation="silu",
                         image_shape=(3, 32, 32))  # fmt: skip


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """32 real colour photographs (crops of scikit-learn's two), 100x100, in train/ and validation/."""
    return write_photo_folder(tmp_path_factory.mktemp("photos") / "photos")


def test_a_colour_folder_is_read_in_colour_whole_at_the_size_asked(photos, tmp_path):
    dataset, report = load_image_folder(photos, cache_dir=tmp_path, size=64)
    assert dataset.image_shape == (3, 64, 64) and dataset.train_images.shape[1:] == (3, 64, 64)
    assert report.fitting == Fitting(64, True, "whole") and "the images have colour" in report.describe_reading()
    assert dataset.classes == ("china", "flower") and len(dataset.test_images) == 8
    assert dataset.reading == Reading(64, "rgb", "whole")
    assert dataset.reading.words() == ("--size", "64", "--color", "rgb", "--fit", "whole")
    # fitted whole: the photo is the file, reduced (not cropped, not inverted)
    name = dataset.train_files[0]
    original = np.asarray(Image.open(photos / name).resize((64, 64), Image.Resampling.BOX), np.float32)
    assert np.abs(dataset.train_images[0].numpy().transpose(1, 2, 0) - original).mean() < 3
    grey, _ = load_image_folder(photos, cache_dir=tmp_path, color="gray")
    assert grey.image_shape == (1, 32, 32)  # photos: 32 unless told


def test_a_colour_model_trains_saves_and_loads_with_its_shape(photos, tmp_path):
    dataset, _ = load_image_folder(photos, cache_dir=tmp_path)
    model = build_model(SMALL_CONV, seed=0)
    mean_image = dataset.train_images.float().mean(0) / 255
    baseline = float(((dataset.test_images.float() / 255 - mean_image) ** 2).mean())
    trainer = Trainer(model, dataset, TrainConfig(epochs=40, batch_size=8, lr=3e-3, optimizer="adam", loss="mse",
                                                  precision="fp32"))  # fmt: skip
    assert trainer.run().reason == "finished"
    assert trainer.history.epochs[-1]["test_mse"] < 0.8 * baseline  # better than the mean image
    path = tmp_path / "colour.aegui.pt"
    save_checkpoint(path, model, trainer.history, dataset="images")
    loaded = load_checkpoint(path).model
    assert loaded.image_shape == (3, 32, 32) and loaded.config == SMALL_CONV
    images = dataset.test_images[:3]
    assert loaded.reconstruct(images.numpy()).shape == (3, 3, 32, 32)
    assert loaded.encode(images[0].numpy()).shape == (32,)
    assert np.allclose(loaded.reconstruct(images.numpy()), model.reconstruct(images.numpy()), atol=1e-6)
    with pytest.raises(ValueError, match=r"\(N, 3, 32, 32\)"):
        loaded.encode(np.zeros((2, 28, 28), np.float32))


def test_a_model_refuses_data_of_another_shape_with_the_reason(photos, tmp_path, sample):
    dataset, _ = load_image_folder(photos, cache_dir=tmp_path)
    with pytest.raises(Exception, match="takes 28×28 grey images, but photos' are 32×32 colour"):
        Trainer(build_model(ModelConfig(hidden_sizes=(8,), code_size=2)), dataset, TrainConfig(epochs=1))


def test_old_digit_model_files_have_no_shape_and_open_as_digits():
    config = ModelConfig(hidden_sizes=(16,), code_size=4)
    assert "image_shape" not in config.to_dict() and ModelConfig.from_dict(config.to_dict()) == config
    colour = ModelConfig.from_dict(SMALL_CONV.to_dict())
    assert colour.image_shape == (3, 32, 32) and colour.layer_sizes == (16 * 8 * 8, 32)
    for bad in ((2, 32, 32), (3, 4, 4), (3, 32), "rgb"):
        with pytest.raises(ValueError, match="image shape"):
            ModelConfig(image_shape=bad)


@pytest.mark.parametrize("shape", [(3, 30, 30), (1, 20, 24), (3, 64, 64)])
@pytest.mark.parametrize("channels", [(8, 16), (8, 16, 32, 32)])
def test_convolutional_models_take_any_size(shape, channels):
    config = ModelConfig(kind="conv", channels=channels, hidden_sizes=(), code_size=8, image_shape=shape)
    model = build_model(config, seed=0)
    images = torch.rand(2, *shape)
    assert model.reconstruct(images).shape == images.shape
    assert config.parameter_count() == model.parameter_count()


def test_labels_from_a_csv_file(photos, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    rows = ["file,label"]
    for index, path in enumerate(sorted(photos.rglob("*.jpg"))):
        (flat / path.name).write_bytes(path.read_bytes())
        if index < 30:  # two are left out of the labels file
            rows.append(f"{path.stem},{'temple' if 'china' in path.name else 'flower'}")
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    dataset, report = load_image_folder(flat, cache_dir=tmp_path, labels=tmp_path / "labels.csv")
    assert dataset.classes == ("flower", "temple") and len(dataset.train_images) + len(dataset.test_images) == 30
    assert sum(why == "not in the labels file" for _name, why in report.skipped) == 2
    names = dict(zip(dataset.train_files, dataset.train_labels.tolist(), strict=True))
    assert all(dataset.classes[label] == ("temple" if "china" in name else "flower") for name, label in names.items())
    (flat / "labels.csv").write_text("\n".join(rows) + "\n")  # beside the images: found, and said
    found, report = load_image_folder(flat, cache_dir=tmp_path)
    assert found.classes == ("flower", "temple") and "Labels from labels.csv." in report.describe_reading()
    assert all(name != "labels.csv" for name, _why in report.skipped)
    (tmp_path / "bad.csv").write_text("a.jpg\n")
    with pytest.raises(Exception, match="without a label"):
        load_image_folder(flat, cache_dir=tmp_path, labels=tmp_path / "bad.csv")


def test_specks_and_empty_cells_are_not_blown_up():
    cell = np.ones((64, 64), np.float32)
    cell[30:33, 40:43] = 0.0  # a 3x3 speck in an empty printed cell
    fitted = fit_image(cell)
    assert (fitted > 0.2).sum() <= 4  # it stays a speck (enlarged to a 20-pixel box it would fill ~400)
    line = np.ones((64, 64), np.float32)
    line[2:4, 5:60] = 0.0  # the cell's ruled edge
    assert (fit_image(line) > 0.2).sum() < 60  # a thin line stays thin
    digit = np.ones((400, 400), np.float32)
    digit[150:250, 190:210] = 0.0  # a "1" a quarter of the photo high is still fitted to 20 pixels
    rows = np.flatnonzero((fit_image(digit) > 0.2).any(axis=1))
    assert rows[-1] - rows[0] + 1 >= 19


def test_image_to_input_for_a_colour_model_and_strokes_in_colour(photos):
    path = next(photos.rglob("*.jpg"))
    image = image_to_input(path, fitting_for((3, 48, 48)))
    assert image.shape == (3, 48, 48) and image.dtype == np.float32 and 0 <= image.min() <= image.max() <= 1
    assert fitting_for((3, 64, 64), Reading(64, "rgb", "content")).fit == "content"
    model = build_model(SMALL_CONV)
    assert image_to_input(path, model).shape == (3, 32, 32)  # fitted for a model
    base = np.zeros((32, 32, 3), np.float32)
    painted = strokes_over_image([[(10, 160), (310, 160)]], 320, base, ink=(1.0, 0.0, 0.0))
    assert painted.shape == (32, 32, 3) and painted[16, 16, 0] > 0.9 and painted[..., 1:].max() == 0


def test_converting_workers_are_bounded_by_memory():
    assert converting_workers(cores=8, memory=64 * 2**30) == 8
    assert converting_workers(cores=8, memory=3 * 2**30) == 4  # 768 MB each
    assert converting_workers(cores=8, memory=2**20) == 1


def test_contact_sheets_show_colour_at_a_readable_size():
    images = np.random.default_rng(0).random((4, 3, 32, 32)).astype(np.float32)
    sheet = contact_sheet(pictures(images, (3, 32, 32)))
    assert sheet.mode == "RGB" and sheet.size == (2 * 64 + 2 + 4, 2 * 64 + 2 + 4)  # 32 px images enlarged 2x


def test_the_command_line_trains_a_colour_model_and_reproduces_the_reading(photos, tmp_path, capsys):
    model, metrics = tmp_path / "m.aegui.pt", tmp_path / "m.json"
    code = main(["train", "--images", str(photos), "--size", "32", "--color", "rgb", "--preset", "photos", "--epochs",
                 "1", "--code-size", "16", "--save", str(model), "--metrics-out", str(metrics)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "Read as 32×32 colour, fitted whole (the images have colour)." in out
    assert "(the mean training image's: 0." in out
    assert load_checkpoint(model).model.image_shape == (3, 32, 32)
    written = json.loads(metrics.read_text())
    assert "--size 32 --color rgb --fit whole" in written["config"]["command"]
    assert written["config"]["image_shape"] == [3, 32, 32] and 0 < written["final"]["mean_image_test_mse"] < 1
    sheet = tmp_path / "g.png"
    assert main(["generate", str(model), "--out", str(sheet), "--count", "4"]) == 0
    assert "Wrote 4 images" in capsys.readouterr().out and Image.open(sheet).mode == "RGB"
    assert main(["outliers", str(model), "--images", str(photos), "--top", "3"]) == 0  # read at the model's size
    assert "most unusual of 32 images" in capsys.readouterr().out
    assert main(["train", "--images", str(photos), "--epochs", "1", "--print-command"]) == 0
    assert "--preset photos" in capsys.readouterr().out  # the preset follows the data
