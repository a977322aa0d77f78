"""`aegui generate` on a model saved without its code density (issue "Nothing lost, nothing injected"): a colour
model fell back to the digits and crashed. Now it says that the model has no density and how to get one, fits
one to the model's own images when given them, and gives images of the model's own shape and colour."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aegui.cli import main
from aegui.core.analysis.latent import fit_model_density
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import build_model
from aegui.core.model.configs import ModelConfig
from benchmarks.images import write_photo_folder

COLOUR = ModelConfig(kind="conv", channels=(8, 16), hidden_sizes=(), code_size=8, activation="silu",
                     image_shape=(3, 32, 32))  # fmt: skip


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """32 colour photographs, 100x100, in train/ and validation/."""
    return write_photo_folder(tmp_path_factory.mktemp("photos") / "photos")


def test_generate_on_a_colour_model_without_a_density_says_how_to_get_one_and_fits_one_to_its_images(
    tmp_path, capsys, photos
):
    path = save_checkpoint(tmp_path / "colour.aegui.pt", build_model(COLOUR, seed=0), dataset="images")
    out = tmp_path / "drawn.npy"
    assert main(["generate", str(path), "--count", "4", "--out", str(out)]) == 2  # not digits: nothing to fit to
    err = capsys.readouterr().err
    assert "no code density saved" in err and "32×32 colour" in err
    assert "--images DIR" in err and "--save" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["generate", str(path), "--count", "4", "--out", str(out), "--dataset", "sample"]) == 2
    assert "28×28 grey" in capsys.readouterr().err  # data of another shape: said, not a crash
    assert not out.exists()
    assert main(["generate", str(path), "--count", "4", "--out", str(out), "--images", str(photos)]) == 0
    assert "fitting one" in capsys.readouterr().err
    drawn = np.load(out)
    assert drawn.shape == (4, 3, 32, 32) and np.isfinite(drawn).all() and 0 <= drawn.min() <= drawn.max() <= 1
    sheet = tmp_path / "drawn.png"
    assert main(["generate", str(path), "--count", "4", "--out", str(sheet), "--images", str(photos)]) == 0
    assert Image.open(sheet).mode == "RGB"


def test_a_colour_vae_without_a_density_draws_from_its_prior(tmp_path, capsys):
    vae = ModelConfig(kind="conv", channels=(8, 16), hidden_sizes=(), code_size=8, activation="silu",
                      variational=True, image_shape=(3, 16, 16))  # fmt: skip
    path = save_checkpoint(tmp_path / "vae.aegui.pt", build_model(vae, seed=0), dataset="images")
    out = tmp_path / "drawn.npy"
    assert main(["generate", str(path), "--count", "3", "--out", str(out)]) == 0
    assert "prior" in capsys.readouterr().err
    assert np.load(out).shape == (3, 3, 16, 16)


def test_a_density_is_fitted_only_to_images_of_the_models_shape():
    import torch

    model = build_model(COLOUR, seed=0)
    with pytest.raises(ValueError, match="takes 32×32 colour images, not 28×28 grey"):
        fit_model_density(COLOUR, model.state_dict(), torch.zeros(20, 28, 28, dtype=torch.uint8))
