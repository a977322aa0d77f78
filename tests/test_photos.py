"""Photos against their simplest peer: principal components (PCA) with as many components as the code has values.
A model with a linear path starts exactly as PCA and trains from there; `train` says how it compares; every
format Pillow reads is read."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import aegui
from aegui.cli import main
from aegui.core.data.augment import mirror_images
from aegui.core.data.datasets import Dataset
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import build_model
from aegui.core.model.configs import ModelConfig, TrainConfig
from aegui.core.model.pca import fit_components
from aegui.core.model.steps import PATH_RATE, evaluate
from aegui.core.training.trainer import Trainer


def _photos(count: int, seed: int, side: int = 16) -> torch.Tensor:
    """Smooth colour images (blobs on gradients): structured as photos are, not noise."""
    generator = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:side, 0:side] / side
    images = []
    for _ in range(count):
        centre, width = generator.uniform(0.2, 0.8, 2), generator.uniform(0.1, 0.3)
        blob = np.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / width**2)
        colour, ground = generator.uniform(0, 1, 3), generator.uniform(0, 0.5, 3)
        tilt = generator.uniform(-0.3, 0.3)
        image = ground[:, None, None] + tilt * xs + colour[:, None, None] * blob
        images.append(np.clip(image, 0, 1))
    return torch.from_numpy((np.stack(images) * 255).round().astype(np.uint8))


@pytest.fixture(scope="module")
def photos() -> Dataset:
    train, test = _photos(600, 0), _photos(200, 1)
    return Dataset("blobs", "Blobs", train, torch.zeros(600, dtype=torch.long), test,
                   torch.zeros(200, dtype=torch.long), "made by the test", classes=("blob",))  # fmt: skip


def _config(shape, linear_path: bool = True) -> ModelConfig:
    return ModelConfig(kind="conv", channels=(16, 32), hidden_sizes=(), code_size=8, activation="silu",
                       code_activation="linear", image_shape=shape, linear_path=linear_path)  # fmt: skip


def test_components_are_exact_either_way_round(photos):
    """From the images' Gram matrix (fewer images than values) or the covariance (more): the same directions, and
    the reconstruction error of an SVD."""
    few, many = photos.train_images[:100], photos.train_images
    for images in (few, many):
        flat = images.reshape(len(images), -1).double() / 255
        centred = flat - flat.mean(0)
        expected = torch.linalg.svd(centred, full_matrices=False).Vh[:8]
        found = fit_components(images, 8).directions.double()
        assert torch.allclose((found @ expected.T).abs(), torch.eye(8, dtype=torch.float64), atol=1e-4)


def test_a_model_with_a_linear_path_starts_as_pca_and_trains_below_it(photos):
    model = build_model(_config(photos.image_shape), seed=0)
    assert model.needs_components()
    trainer = Trainer(model, photos, TrainConfig(epochs=12, batch_size=32, lr=2e-3, loss="mse", optimizer="adam",
                                                 schedule="onecycle"))  # fmt: skip
    pca = fit_components(photos.train_images, 8).test_mse(photos.test_images)
    start = evaluate(model, photos.test_images, "mse")["mse"]
    assert start == pytest.approx(pca, rel=1e-4) and not model.needs_components()
    trainer.run()
    assert evaluate(model, photos.test_images, "mse")["mse"] < pca


def test_the_path_is_kept_in_the_file_and_not_fitted_again(photos, tmp_path):
    model = build_model(_config(photos.image_shape), seed=0)
    Trainer(model, photos, TrainConfig(epochs=1, batch_size=64, loss="mse", optimizer="adam")).run()
    path = tmp_path / "p.aegui.pt"
    save_checkpoint(path, model)
    loaded = aegui.load_model(path)
    assert loaded.config.linear_path and not loaded.needs_components()
    images = photos.test_images[:4].numpy() / 255
    assert np.allclose(loaded.reconstruct(images), model.reconstruct(images), atol=1e-6)


def test_a_linear_path_is_refused_for_a_vae():
    with pytest.raises(ValueError, match="cannot be a VAE"):
        ModelConfig(variational=True, linear_path=True)


def test_train_says_how_the_model_compares_with_pca(tmp_path, capsys):
    metrics = tmp_path / "m.json"
    assert main(["train", "--dataset", "sample", "--preset", "seed", "--epochs", "1", "--metrics-out",
                 str(metrics)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("PCA with 128 components"))
    config = json.loads(metrics.read_text())["config"]
    pca, knn = config["pca"], config["knn"]
    assert pca["components"] == 128 and f"test MSE {pca['test_mse']:.6f}" in line
    assert f"{pca['model_over_pca']:.3f}x PCA's" in line
    # what the codes are worth as features: kNN accuracy on codes, on PCA of as many components, on pixels
    assert "nearest-neighbour accuracy" in out and knn["components"] == knn["pca_components"] == 128
    assert f"{100 * knn['knn_codes']:6.2f}%" in out and f"{100 * knn['knn_pixels']:6.2f}%" in out
    assert 0.5 < knn["knn_pixels"] <= 1 and 0.1 < knn["knn_codes"] <= 1


@pytest.mark.parametrize("suffix", [".pgm", ".ppm", ".pbm", ".tga"])
def test_netpbm_and_other_formats_pillow_reads_are_read(tmp_path, suffix):
    folder = tmp_path / "faces"
    for person in ("s1", "s2"):
        (folder / person).mkdir(parents=True)
        for index in range(6):
            picture = np.zeros((112, 92), np.uint8)
            picture[20 + 5 * index : 80, 30:60] = 200 if person == "s1" else 90
            image = Image.fromarray(picture).convert("1" if suffix == ".pbm" else "RGB" if suffix == ".ppm" else "L")
            image.save(folder / person / f"{index}{suffix}")
    from aegui.core.data.images import load_image_folder

    dataset, report = load_image_folder(folder)
    assert len(dataset.train_images) + len(dataset.test_images) == 12 and not report.skipped


def test_fewer_images_than_code_values_start_from_the_components_there_are(photos, capsys):
    few = Dataset("few", "Few", photos.train_images[:10], photos.train_labels[:10], photos.test_images[:20],
                  photos.test_labels[:20], "made by the test", classes=("blob",))  # fmt: skip
    config = ModelConfig(kind="conv", channels=(16, 32), hidden_sizes=(), code_size=16, activation="silu",
                         code_activation="linear", image_shape=few.image_shape, linear_path=True)  # fmt: skip
    model = build_model(config, seed=0)
    trainer = Trainer(model, few, TrainConfig(epochs=1, batch_size=5, loss="mse", optimizer="adam"))
    components = fit_components(few.train_images, 16)
    assert len(components.directions) == 10
    assert evaluate(model, few.test_images, "mse")["mse"] == pytest.approx(
        components.test_mse(few.test_images), rel=1e-4
    )
    trainer.run()


def test_the_path_learns_at_a_tenth_of_the_rate_through_the_schedule_and_a_rate_set_by_hand(photos):
    """The path starts at PCA, the best linear map: Adam at the layers' peak rate pushed it far off (flowers: 7.8x
    PCA's error at the peak); it keeps PATH_RATE of whatever rate the layers have."""
    model = build_model(_config(photos.image_shape), seed=0)
    trainer = Trainer(model, photos, TrainConfig(epochs=1, batch_size=64, lr=1e-3, loss="mse", optimizer="adam",
                                                 schedule="onecycle"))  # fmt: skip
    path = {id(model.encoder.path_weight), id(model.decoder.path_bias)}
    layers, path_group = trainer.optimizer.param_groups
    assert path <= {id(parameter) for parameter in path_group["params"]}
    assert not path & {id(parameter) for parameter in layers["params"]}
    for event in trainer.iterate():
        assert path_group["lr"] == pytest.approx(layers["lr"] * PATH_RATE)
        if getattr(event, "step", 0) == 4:
            trainer.set_lr(4e-4)
    assert layers["lr"] == pytest.approx(4e-4) and path_group["lr"] == pytest.approx(4e-5)
    plain = build_model(_config(photos.image_shape, linear_path=False), seed=0)
    assert len(Trainer(plain, photos, TrainConfig(epochs=1, optimizer="adam")).optimizer.param_groups) == 1


def test_mirroring_flips_the_chosen_share_left_to_right():
    images = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2 * 3, 20)  # six (1, 4, 5) images
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(mirror_images(images, 0.0, generator, (1, 4, 5)), images)
    flipped = mirror_images(images, 1.0, generator, (1, 4, 5)).reshape(6, 1, 4, 5)
    assert torch.equal(flipped, images.reshape(6, 1, 4, 5).flip(-1))
    some = mirror_images(images.repeat(100, 1), 0.5, generator, (1, 4, 5))
    mirrored = (some != images.repeat(100, 1)).any(1).float().mean()
    assert 0.35 < mirrored < 0.65
    with pytest.raises(ValueError, match="mirrored"):
        TrainConfig(mirror=1.5)
