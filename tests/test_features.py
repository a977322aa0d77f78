"""What the network learned: first-layer weights, code directions, activations (fully connected and
convolutional)."""

import numpy as np
import torch

from aegui.core.analysis.features import activations, code_directions, first_layer, strip
from aegui.core.model.autoencoder import ModelConfig, build_model

MLP = ModelConfig(hidden_sizes=(40,), code_size=3, activation="relu")
CONV = ModelConfig(kind="conv", channels=(6, 8), hidden_sizes=(20,), code_size=3, activation="relu")


def test_the_first_layer_shows_the_most_used_units_first():
    torch.manual_seed(0)
    model = build_model(MLP)
    with torch.no_grad():
        model.encoder[2].weight[:, 7] *= 50  # unit 7's output is what the next layer listens to most
        model.encoder[0].weight[7] = torch.linspace(-1, 1, 784)
    pictures, units, total = first_layer(model, limit=10)
    assert pictures.shape == (10, 28, 28) and total == 40 and units[0] == 7
    assert pictures.min() >= 0.0 and pictures.max() <= 1.0
    expected = 0.5 + 0.5 * np.linspace(-1, 1, 784).reshape(28, 28)  # signed, around mid-grey
    np.testing.assert_allclose(pictures[0], expected, atol=1e-5)


def test_a_conv_models_first_layer_is_its_filters():
    pictures, units, total = first_layer(build_model(CONV))
    assert pictures.shape == (6, 28, 28) and total == 6 and sorted(units) == list(range(6))


def test_code_directions_show_what_raising_each_value_adds():
    model = build_model(MLP)
    directions = code_directions(model)
    assert directions.shape == (3, 28, 28) and directions.min() >= 0.0 and directions.max() <= 1.0
    code = torch.zeros(1, 3)
    with torch.inference_mode():
        base = model.decoder(code)
        raised = model.decoder(code + torch.tensor([[0.0, 1.0, 0.0]]))
        lowered = model.decoder(code - torch.tensor([[0.0, 1.0, 0.0]]))
    change = (raised - lowered).reshape(28, 28).numpy()
    assert np.corrcoef(directions[1].ravel(), change.ravel())[0, 1] > 0.999
    assert base.shape == (1, 784)


def test_activations_cover_every_layer_and_the_code_is_the_encoders(sample):
    image = sample.test_images[0].float().numpy() / 255
    for config in (MLP, CONV):
        model = build_model(config)
        found = activations(model, image)
        names = [layer.name for layer in found]
        code = next(layer for layer in found if layer.name.startswith("code"))
        np.testing.assert_allclose(code.values, model.encode(image.reshape(1, -1))[0], atol=1e-6)
        assert names[-1].endswith(": 784") and all(strip(layer.values).ndim == 2 for layer in found)
    assert any("channels of 14x14" in name for name in names)  # (the conv model's feature maps)


def test_strips_lay_values_out_in_rows_and_feature_maps_side_by_side():
    assert strip(np.arange(10.0)).shape == (1, 10)
    assert strip(np.arange(130.0)).shape == (3, 64)
    maps = strip(np.ones((4, 7, 7)))
    assert maps.shape == (7, 4 * 8 - 1) and maps.max() == 1.0
    signed = strip(np.array([-2.0, 0.0, 2.0]))
    np.testing.assert_allclose(signed, [[0.0, 0.5, 1.0]])
