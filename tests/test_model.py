import numpy as np
import pytest
import torch

from aegui.core.checks import ConfigError
from aegui.core.model.autoencoder import AutoEncoder, ModelConfig, build_model
from aegui.core.model.presets import PRESETS, customise, get_preset

SHAPES = [(3, 784), (3, 28, 28), (3, 1, 28, 28), (784,), (28, 28)]


@pytest.fixture(scope="module")
def model():
    return build_model(ModelConfig(hidden_sizes=(64,), code_size=8, activation="relu"), seed=1)


@pytest.mark.parametrize("shape", SHAPES)
def test_numpy_in_numpy_out_for_every_shape(model, shape):
    images = np.random.default_rng(0).random(shape, dtype=np.float32)
    reconstruction = model.reconstruct(images)
    assert isinstance(reconstruction, np.ndarray) and reconstruction.shape == shape
    assert reconstruction.min() >= 0.0 and reconstruction.max() <= 1.0
    codes = model.encode(images)
    single = len(shape) == 1 or shape == (28, 28)
    assert codes.shape == ((8,) if single else (3, 8))
    decoded = model.decode(codes)
    assert decoded.shape == ((784,) if single else (3, 784))
    np.testing.assert_allclose(decoded.reshape(shape), reconstruction, atol=1e-6)


def test_tensors_keep_autograd(model):
    images = torch.rand(2, 1, 28, 28)
    out = model.reconstruct(images)
    assert isinstance(out, torch.Tensor) and out.shape == images.shape and out.requires_grad


def test_uint8_pixels_are_scaled(model):
    pixels = np.full((1, 784), 255, dtype=np.uint8)
    np.testing.assert_allclose(model.encode(pixels), model.encode(np.ones((1, 784), np.float32)), atol=1e-6)


@pytest.mark.parametrize("bad", [np.zeros((2, 27, 28)), np.zeros((2, 2, 28, 28)), np.zeros(783)])
def test_wrong_shapes_are_refused(model, bad):
    with pytest.raises(ValueError, match="Expected images shaped"):
        model.reconstruct(bad)


@pytest.mark.parametrize("bad", [np.full((1, 784), 200.0), np.full((1, 784), np.nan)])
def test_values_outside_unit_range_are_refused(model, bad):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.encode(bad)


def test_seed_preset_is_the_lesson():
    seed = get_preset("seed")
    assert seed.model.layer_sizes == (784, 256, 128)
    assert seed.model.activation == seed.model.code_activation == "sigmoid"
    assert (seed.train.optimizer, seed.train.lr, seed.train.batch_size, seed.train.epochs, seed.train.loss) == (
        "rmsprop",
        0.01,
        256,
        8,
        "mse",
    )
    model = AutoEncoder(seed.model)
    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in layers] == [(784, 256), (256, 128), (128, 256), (256, 784)]
    assert all(
        isinstance(m, torch.nn.Sigmoid)
        for m in list(model.encoder) + list(model.decoder)
        if not isinstance(m, torch.nn.Linear)
    )


def test_presets_meet_their_descriptions():
    assert get_preset("deep30").model.layer_sizes == (784, 1000, 500, 250, 30)
    assert get_preset("map2d").model.code_size == 2
    assert get_preset("default").model.code_size <= 32
    assert set(PRESETS) == {"default", "seed", "deep30", "record30", "map2d", "vae", "vae2d", "photos"}
    assert get_preset("vae").model.variational and get_preset("vae").model.code_size <= 32
    assert get_preset("vae2d").model.variational and get_preset("vae2d").model.code_size == 2
    record = get_preset("record30")
    assert record.model.code_size == 30 and record.model.kind == "conv"


def test_lesson_initialisation_is_unit_normal():
    model = build_model(customise(get_preset("seed"), model={"init": "normal"}).model, seed=0)
    weights = model.encoder[0].weight
    assert abs(weights.std().item() - 1.0) < 0.01 and abs(model.encoder[0].bias.std().item() - 1.0) < 0.15


def test_same_seed_same_weights():
    config = ModelConfig(hidden_sizes=(32,), code_size=4)
    first, second = build_model(config, seed=5), build_model(config, seed=5)
    assert all(
        torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True)
    )


@pytest.mark.parametrize(
    "settings",
    [{"code_size": 0}, {"activation": "swish!"}, {"hidden_sizes": (0,)}, {"init": "zeros"}, {"kind": "rnn"}],
)
def test_bad_model_settings(settings):
    with pytest.raises(ConfigError):
        ModelConfig(**settings)


def test_unknown_preset():
    with pytest.raises(ConfigError, match="Unknown preset"):
        get_preset("nope")


def test_small_data_gets_more_epochs():
    from aegui.core.model.presets import epochs_for

    seed = get_preset("seed")
    assert epochs_for(seed, 60_000) == 8 and epochs_for(seed, 120_000) == 8
    assert epochs_for(seed, 4_000) == 60  # about half of full MNIST's optimizer steps


def test_convolutional_model_works_like_any_other():
    config = ModelConfig(kind="conv", channels=(4, 8), hidden_sizes=(32,), code_size=6, activation="relu")
    model = build_model(config, seed=0)
    images = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    assert model.encode(images).shape == (3, 6) and model.reconstruct(images).shape == (3, 28, 28)
    assert model.forward_logits(torch.rand(2, 784)).shape == (2, 784)
    assert any(isinstance(layer, torch.nn.Conv2d) for layer in model.encoder)
    assert any(isinstance(layer, torch.nn.ConvTranspose2d) for layer in model.decoder)
    assert isinstance(model.decoder[-1], torch.nn.Sigmoid)
    assert "conv 4-8" in config.describe()
    assert ModelConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("channels", [(0, 8), (4,), (4, 8, 16, 32, 64)])
def test_bad_channels(channels):
    with pytest.raises(ConfigError, match="channels"):
        ModelConfig(kind="conv", channels=channels)


def test_code_scale_survives_weights_that_overflow():
    from aegui.core.analysis.inference import InferenceModel

    config = ModelConfig(hidden_sizes=(16,), code_size=4, activation="relu")
    state = {name: tensor.clone() for name, tensor in build_model(config, seed=0).state_dict().items()}
    images = torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8)
    low, high = InferenceModel(config, state).code_range(images)
    assert np.isfinite([low, high]).all() and low <= 0 <= high and high - low > 1e-6
    for name in ("encoder.0.weight", "encoder.2.weight"):
        state[name] = state[name] * 1e30  # on the edge of diverging: codes overflow to inf and nan
    low, high = InferenceModel(config, state).code_range(images)
    assert np.isfinite([low, high]).all() and high - low > 1e-6


def test_channels_last_activations_leave_weights_and_results_as_plain_layout():
    """The conv model runs its activations channels-last for speed; the weights, their gradients, the
    optimizer's state and the results must stay plain contiguous tensors equal to a plain-layout pass."""
    config = ModelConfig(kind="conv", channels=(4, 8), hidden_sizes=(16,), code_size=3, activation="silu")
    model = build_model(config, seed=0)
    pixels = torch.rand(5, 784)
    assert model.encoder[0](pixels).is_contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    torch.nn.functional.mse_loss(model(pixels), pixels).backward()
    optimizer.step()
    for parameter in model.parameters():
        assert parameter.is_contiguous() and parameter.grad.is_contiguous()
        assert all(value.is_contiguous() for value in optimizer.state[parameter].values())
    plain = torch.nn.Sequential(*(torch.nn.Unflatten(1, layer.unflattened_size)
                                  if isinstance(layer, torch.nn.Unflatten) else layer
                                  for layer in model.encoder))  # fmt: skip
    torch.testing.assert_close(model.encoder(pixels), plain(pixels))
    assert model(pixels).is_contiguous()
    assert sorted(build_model(config, seed=0).state_dict()) == sorted(model.state_dict())
