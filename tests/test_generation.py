"""Generating digits in the core: the VAE, code densities, sampling, the manifold grid, files, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aegui.cli import main
from aegui.core.analysis.latent import fit_model_density
from aegui.core.checks import ConfigError
from aegui.core.files.checkpoints import load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import AutoEncoder, ModelConfig, build_model
from aegui.core.model.density import CodeDensity, density_from_state, fit_density, quantile_grid
from aegui.core.model.steps import batch_loss
from aegui.core.training.trainer import TrainConfig, Trainer

VAE = ModelConfig(hidden_sizes=(64,), code_size=2, activation="relu", code_activation="linear", variational=True)
PLAIN = ModelConfig(hidden_sizes=(64,), code_size=4, activation="relu", code_activation="linear")
QUICK = TrainConfig(epochs=2, batch_size=100, lr=3e-3, loss="bce", optimizer="adam")


# --- the VAE ---


def test_a_vae_has_a_log_variance_head_counted_in_its_weights():
    model = AutoEncoder(VAE)
    encoder, log_variance, decoder = 784 * 64 + 64 + 64 * 2 + 2, 64 * 2 + 2, 2 * 64 + 64 + 64 * 784 + 784
    assert model.parameter_count() == VAE.parameter_count() == encoder + log_variance + decoder
    assert "VAE" in VAE.describe() and "VAE" not in PLAIN.describe()


def test_a_vae_code_is_its_mean_and_it_samples_only_while_training():
    torch.manual_seed(0)
    model = AutoEncoder(VAE)
    images = torch.rand(8, 784)
    mean, log_variance = model.code_distribution(images)
    assert torch.equal(model.encoder(images), mean) and log_variance.shape == mean.shape
    model.eval()
    first, kl = model.logits_and_kl(images)
    assert torch.equal(first, model.logits_and_kl(images)[0])  # evaluation decodes the mean
    expected = 0.5 * (mean.square() + log_variance.exp() - 1 - log_variance).sum(1)
    assert torch.allclose(kl, expected) and bool((kl >= 0).all())
    model.train()
    assert not torch.equal(model.logits_and_kl(images)[0], model.logits_and_kl(images)[0])  # a sample each time


def test_a_vae_needs_a_linear_code_and_variational_must_be_a_bool():
    with pytest.raises(ConfigError, match="linear"):
        ModelConfig(code_activation="sigmoid", variational=True)
    with pytest.raises(ConfigError, match="true or false"):
        ModelConfig(variational="yes")
    assert "variational" not in PLAIN.to_dict()  # a plain model's file still opens in earlier versions
    assert ModelConfig.from_dict(VAE.to_dict()) == VAE


def test_the_kl_term_is_weighted_and_warms_up():
    warm = TrainConfig(beta=0.5, kl_warmup=4)
    assert [warm.kl_weight(epochs) for epochs in (0, 2, 4, 10)] == [0.0, 0.25, 0.5, 0.5]
    assert TrainConfig(beta=2.0).kl_weight(0) == 2.0
    with pytest.raises(ConfigError):
        TrainConfig(beta=-1)
    model = AutoEncoder(VAE).eval().requires_grad_(False)
    images = torch.rand(4, 784)
    without, kl = batch_loss(model, images, "bce", kl_weight=0.0)
    with_kl, _ = batch_loss(model.logits_and_kl, images, "bce", kl_weight=1.0)
    assert kl > 0 and float(with_kl - without) == pytest.approx(kl / 784, rel=1e-2)  # (float32 losses near 0.7)
    assert batch_loss(AutoEncoder(PLAIN), images, "bce")[1] == 0.0


def test_a_vae_trains_and_reports_reconstruction_and_kl_separately(small_sample):
    torch.manual_seed(0)
    model = build_model(VAE, seed=0)
    trainer = Trainer(model, small_sample, QUICK)
    ended = trainer.run()
    assert ended.reason == "finished"
    first, last = trainer.history.epochs
    assert last["test_kl"] > 0 and last["train_kl"] > 0
    assert last["test_loss"] < first["test_loss"]  # the reconstruction term falls


def test_a_convolutional_vae_trains_and_generates(small_sample):
    config = ModelConfig(kind="conv", channels=(4, 8), hidden_sizes=(), code_size=3, activation="relu",
                         code_activation="linear", variational=True)  # fmt: skip
    model = build_model(config, seed=0)
    assert model.parameter_count() == config.parameter_count()
    trainer = Trainer(model, small_sample.subset(200, 50), TrainConfig(epochs=1, batch_size=50, loss="bce"))
    assert trainer.run().reason == "finished" and trainer.history.epochs[0]["test_kl"] > 0
    assert model.generate(4, seed=0).shape == (4, 28, 28)


# --- densities ---


def test_sampling_is_reproducible_and_temperature_zero_gives_the_centres():
    density = CodeDensity(torch.tensor([0.25, 0.75]), torch.tensor([[0.0, 0.0], [5.0, 5.0]]),
                          torch.eye(2).repeat(2, 1, 1))  # fmt: skip
    first = density.sample(500, torch.Generator().manual_seed(3))
    assert torch.equal(first, density.sample(500, torch.Generator().manual_seed(3)))
    assert abs(float((first[:, 0] > 2.5).float().mean()) - 0.75) < 0.08  # components in their shares
    centres = density.sample(50, torch.Generator().manual_seed(1), temperature=0.0)
    assert set(map(tuple, centres.tolist())) <= {(0.0, 0.0), (5.0, 5.0)}
    with pytest.raises(ValueError):
        density.sample(5, temperature=float("nan"))
    near = density.near(np.array([5.2, 4.9]), 200, torch.Generator().manual_seed(0), spread=0.5)
    assert torch.allclose(near.mean(0), torch.tensor([5.2, 4.9]), atol=0.15)


def test_a_mixture_fits_clustered_codes_and_a_vae_keeps_its_prior_when_that_describes_them_better():
    rng = np.random.default_rng(0)
    clusters = np.concatenate([rng.normal(centre, 0.1, (1000, 2)) for centre in ((-3, 0), (3, 0), (0, 3))])
    mixture = fit_density(clusters, clusters[::7], variational=True)
    assert mixture.source == "mixture"
    held_out = torch.as_tensor(rng.normal((3, 0), 0.1, (200, 2)), dtype=torch.float32)
    assert mixture.log_prob(held_out).mean() > CodeDensity.gaussian(clusters).log_prob(held_out).mean() + 1
    normal = rng.normal(0, 1, (1000, 2))
    assert fit_density(normal, rng.normal(0, 1, (1000, 2)), variational=True).source == "prior"
    with pytest.raises(ValueError):
        fit_density(np.full((10, 2), np.nan))


def test_long_codes_and_few_codes_get_fewer_components():
    rng = np.random.default_rng(1)
    assert fit_density(rng.normal(0, 1, (3000, 2))).components == 100  # short codes, plenty of them
    assert fit_density(rng.normal(0, 1, (3000, 32))).components == 3000 // (4 * 33)  # each needs data
    assert fit_density(rng.normal(0, 1, (200, 128))).components == 1


def test_with_labels_each_class_has_its_own_components_weighted_by_its_share():
    rng = np.random.default_rng(0)
    centres = np.array([[-6.0, 0.0], [6.0, 0.0], [0.0, 8.0]])
    labels = np.repeat([0, 1, 2], [3000, 1000, 20])  # the last class is too small for components of its own
    codes = centres[labels] + rng.normal(0, 0.5, (len(labels), 2))
    fitted = fit_density(codes, labels=labels, components=30)
    assert fitted.components == 10 + 10 + 1  # a third each; the 20 small-class codes have data for one
    near = torch.cdist(fitted.means, torch.as_tensor(centres, dtype=torch.float32)).argmin(1)
    shares = [float(fitted.weights[near == index].sum()) for index in range(3)]
    assert shares == pytest.approx([3000 / 4020, 1000 / 4020, 20 / 4020], abs=1e-3)
    assert float(fitted.weights.sum()) == pytest.approx(1.0)
    drawn = fitted.sample(5000, torch.Generator().manual_seed(0))
    assert (torch.cdist(drawn, torch.as_tensor(centres, dtype=torch.float32)).min(1).values < 3).float().mean() > 0.99
    assert fit_density(codes, labels=np.arange(len(codes)) % 200).components <= 100  # more classes than components
    with pytest.raises(ValueError, match="labels"):
        fit_density(codes, labels=labels[:10])


def test_a_fit_gives_up_when_cancelled(monkeypatch):
    from aegui.core.errors import Cancelled
    from aegui.core.model import density

    monkeypatch.setattr(density, "TOLERANCE", 0.0)  # (EM would go on for all its iterations)
    asked = []

    def cancelled() -> bool:
        asked.append(True)
        return len(asked) > 1  # after the first step of EM

    with pytest.raises(Cancelled):
        fit_density(np.random.default_rng(0).normal(0, 1, (3000, 2)), cancelled=cancelled)
    assert len(asked) == 2


def test_the_manifold_grid_runs_left_to_right_and_top_to_bottom():
    codes = np.random.default_rng(0).normal(0, 1, (5000, 2))
    grid = quantile_grid(codes, 4).reshape(4, 4, 2)
    assert np.all(np.diff(grid[..., 0], axis=1) > 0) and np.all(np.diff(grid[..., 1], axis=0) < 0)
    assert abs(grid[0, 0, 0] - np.quantile(codes[:, 0], 1 / 8)) < 1e-6
    with pytest.raises(ValueError, match="2-value"):
        quantile_grid(np.zeros((10, 3)), 4)


def test_only_a_vae_encodes_the_test_images_to_weigh_its_mixture_against_its_prior(monkeypatch, small_sample):
    import aegui.core.analysis.latent as latent

    encoded: list[int] = []
    encode = latent.encode_images

    def counted(config, state, images, cancelled):
        encoded.append(len(images))
        return encode(config, state, images, cancelled)

    monkeypatch.setattr(latent, "encode_images", counted)
    for config, counts in ((PLAIN, [len(small_sample.train_images)]),
                           (VAE, [len(small_sample.test_images), len(small_sample.train_images)])):  # fmt: skip
        encoded.clear()
        fit_model_density(config, build_model(config, seed=0).state_dict(), small_sample.train_images,
                          small_sample.test_images)  # fmt: skip
        assert encoded == counts


def test_a_file_keeps_the_density_and_drops_a_broken_one_keeping_the_weights(tmp_path, small_sample):
    model = build_model(PLAIN, seed=0)
    model.density = fit_model_density(PLAIN, model.state_dict(), small_sample.train_images, small_sample.test_images)
    path = save_checkpoint(tmp_path / "m.aegui.pt", model)
    loaded = load_checkpoint(path).model
    assert torch.equal(loaded.density.means, model.density.means) and loaded.density.source == "mixture"
    assert np.allclose(loaded.generate(5, seed=1), model.generate(5, seed=1))
    state = model.density.to_state()
    broken = {
        "negative weights": {**state, "weights": -state["weights"]},
        "upper covariance": {**state, "scale_tril": state["scale_tril"].transpose(1, 2).contiguous() + 0.1},
        "wrong code size": {**state, "means": torch.zeros(len(state["weights"]), 5)},
        "missing entry": {"weights": state["weights"]},
        "absurd means": {**state, "means": torch.full_like(state["means"], 3e38)},
        "absurd spreads": {**state, "scale_tril": torch.diag_embed(torch.full_like(state["means"], 1e38))},
        "vanishing spreads": {**state, "scale_tril": torch.diag_embed(torch.full_like(state["means"], 1e-30))},
    }
    for name, entries in broken.items():
        model.density = CodeDensity(*(entries.get(key, torch.zeros(1)) for key in ("weights", "means", "scale_tril")))
        target = save_checkpoint(tmp_path / f"{name}.aegui.pt", model)
        opened = load_checkpoint(target)  # the weights are never lost to a bad density
        assert opened.model.density is None, name
        assert "code density" in opened.density_problem and "dropped" in opened.density_problem, name
        for key, value in opened.model.state_dict().items():
            assert torch.equal(value, model.state_dict()[key])
    with pytest.raises(ValueError):
        density_from_state(state, "magic", 4)


def test_generate_needs_a_density_for_a_plain_model_but_not_for_a_vae():
    with pytest.raises(ValueError, match="no code density"):
        AutoEncoder(PLAIN).generate(3)
    images = AutoEncoder(VAE).generate(6, seed=2)
    assert images.shape == (6, 28, 28) and images.dtype == np.float32 and images.min() >= 0 and images.max() <= 1


# --- the command line ---


def _train_cli(tmp_path, *options) -> str:
    path = tmp_path / "m.aegui.pt"
    assert main(["train", "--dataset", "sample", "--epochs", "1", "--hidden", "64", "--save", str(path),
                 "--metrics-out", str(tmp_path / "m.json"), *options]) == 0  # fmt: skip
    return str(path)


def test_cli_trains_a_vae_and_generates_digits_a_grid_and_a_contact_sheet(tmp_path, capsys):
    from PIL import Image

    model = _train_cli(tmp_path, "--preset", "vae2d")
    printed = capsys.readouterr().out
    assert "test_kl=" in printed and "Code density for generating" in printed
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["config"]["model"]["variational"] is True and metrics["epochs"][0]["test_kl"] > 0
    assert main(["generate", model, "--count", "12", "--out", str(tmp_path / "d.npy"), "--seed", "3"]) == 0
    digits = np.load(tmp_path / "d.npy")
    assert digits.shape == (12, 28, 28) and digits.dtype == np.float32 and 0 <= digits.min() <= digits.max() <= 1
    assert main(["generate", model, "--count", "12", "--out", str(tmp_path / "e.npy"), "--seed", "3"]) == 0
    assert np.array_equal(digits, np.load(tmp_path / "e.npy"))  # a seed gives the same digits
    assert main(["generate", model, "--grid", "5", "--out", str(tmp_path / "g.npy")]) == 0
    assert np.load(tmp_path / "g.npy").shape == (25, 28, 28)
    assert main(["generate", model, "--grid", "5", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (5 * 58 + 2, 5 * 58 + 2)  # digits enlarged 2x, to be read


def test_cli_generate_fits_a_density_for_a_file_without_one_and_refuses_what_it_cannot_do(tmp_path, capsys,
                                                                                          small_sample):  # fmt: skip
    model = build_model(PLAIN, seed=0)
    Trainer(model, small_sample, QUICK).run()
    path = save_checkpoint(tmp_path / "old.aegui.pt", model)  # no density: as files saved before this version
    assert main(["generate", str(path), "--count", "4", "--out", str(tmp_path / "d.npy"), "--dataset", "sample"]) == 0
    assert "fitting one" in capsys.readouterr().err and np.load(tmp_path / "d.npy").shape == (4, 28, 28)
    assert main(["generate", str(path), "--grid", "3", "--out", str(tmp_path / "g.npy"), "--dataset", "sample"]) == 2
    assert "2-value code's plane" in capsys.readouterr().err
    assert main(["generate", str(path), "--out", str(tmp_path / "d.jpg")]) == 2
    assert main(["generate", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "d.npy")]) == 2
    with pytest.raises(SystemExit):
        main(["generate", str(path), "--count", "0", "--out", str(tmp_path / "d.npy")])


def test_cli_generate_says_once_that_an_absurd_density_was_dropped_and_refits(tmp_path, capsys, small_sample):
    """A file whose density holds finite but absurd numbers (means 3e38) gave all-black digits without a
    word: now its density is dropped on opening, said once, and a new one is fitted; the digits are real."""
    model = build_model(PLAIN, seed=0)
    Trainer(model, small_sample, QUICK).run()
    model.density = fit_model_density(PLAIN, model.state_dict(), small_sample.train_images, small_sample.test_images)
    state = model.density.to_state()
    model.density = CodeDensity(state["weights"], torch.full_like(state["means"], 3e38), state["scale_tril"])
    path = save_checkpoint(tmp_path / "liar.aegui.pt", model)
    out = tmp_path / "d.npy"
    assert main(["generate", str(path), "--count", "16", "--out", str(out), "--dataset", "sample"]) == 0
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if "density" in line]) == 1  # said once
    assert "beyond" in err and "fitting one" in err
    digits = np.load(out)
    assert np.isfinite(digits).all() and digits.max() > 0.5  # ink, not an all-black sheet
