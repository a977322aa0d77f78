"""Models that leave aegui: ONNX and TorchScript exports of the whole model, its encoder and its decoder,
run outside aegui on held-out images and compared with aegui's own outputs."""

import numpy as np
import pytest
import torch

import aegui
from aegui.cli import main
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.files.export import TOLERANCE, ExportError, export_model
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import TrainConfig, Trainer

NEEDS_EXPORT = "ONNX checks need the export extra: pip install 'aegui[export]'"
onnxruntime = pytest.importorskip("onnxruntime", reason=NEEDS_EXPORT)

MODELS = {
    "dense": ModelConfig(hidden_sizes=(64,), code_size=8),
    "vae": ModelConfig(hidden_sizes=(64,), code_size=4, variational=True, code_activation="linear"),
    "conv": ModelConfig(kind="conv", hidden_sizes=(32,), code_size=6, channels=(4, 8)),
}


@pytest.fixture(scope="module")
def trained(sample):
    """A briefly trained dense model (an untrained one would hide a wrong decoder behind grey outputs)."""
    model = build_model(MODELS["dense"], seed=0)
    Trainer(model, sample.subset(1000, 100), TrainConfig(epochs=1, batch_size=100, lr=3e-3, optimizer="adam")).run()
    return model.eval()


def _held_out(sample) -> np.ndarray:
    return sample.test_images[-32:].numpy().reshape(-1, 784).astype(np.float32) / 255.0


@pytest.mark.parametrize("part", ["full", "encoder", "decoder"])
def test_onnx_parts_run_in_onnxruntime_like_the_model(tmp_path, trained, sample, part):
    report = export_model(trained, tmp_path / f"{part}.onnx", "onnx", part)
    assert report.checked_with == "onnxruntime" and report.max_difference <= TOLERANCE
    session = onnxruntime.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    images = _held_out(sample)  # not the images the export was checked on, and another batch size
    feed = trained.encode(images) if part == "decoder" else images
    (got,) = session.run(None, {session.get_inputs()[0].name: feed})
    want = {"full": trained.reconstruct, "encoder": trained.encode, "decoder": trained.decode}[part](feed)
    assert got.shape == want.shape and np.abs(got - want).max() <= TOLERANCE
    assert [i.name for i in session.get_inputs()] == ["codes" if part == "decoder" else "images"]


@pytest.mark.parametrize("kind", ["vae", "conv"])
def test_every_kind_of_model_exports_and_a_vae_encoder_gives_mean_and_log_variance(tmp_path, sample, kind):
    model = build_model(MODELS[kind], seed=1).eval()
    report = export_model(model, tmp_path / "encoder.onnx", "onnx", "encoder")
    session = onnxruntime.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    images = _held_out(sample)
    outputs = session.run(None, {"images": images})
    if kind == "vae":
        assert report.outputs == ("mean", "log_variance")
        mean, log_variance = model.code_distribution(torch.as_tensor(images))
        assert np.abs(outputs[0] - mean.detach().numpy()).max() <= TOLERANCE
        assert np.abs(outputs[1] - log_variance.detach().numpy()).max() <= TOLERANCE
    else:
        assert np.abs(outputs[0] - model.encode(images)).max() <= TOLERANCE


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_torchscript_loads_in_plain_pytorch(tmp_path, trained, sample):
    report = export_model(trained, tmp_path / "full.pt", "torchscript", "full")
    loaded = torch.jit.load(str(report.path))
    images = _held_out(sample)
    assert np.abs(loaded(torch.as_tensor(images)).detach().numpy() - trained.reconstruct(images)).max() <= TOLERANCE


def test_an_export_that_does_not_match_is_refused_and_not_written(tmp_path, trained, monkeypatch):
    import aegui.core.files.export as export

    monkeypatch.setattr(export, "_run_torchscript", lambda data, example: ("torch.jit.load", [np.ones((16, 784))]))
    with pytest.raises(ExportError, match="away from aegui's"):
        export_model(trained, tmp_path / "bad.pt", "torchscript")
    assert not (tmp_path / "bad.pt").exists()


def test_the_command_exports_and_says_how_it_checked(tmp_path, trained, capsys):
    path = save_checkpoint(tmp_path / "m.aegui.pt", trained)
    assert main(["export", str(path), "--part", "decoder", "--out", str(tmp_path / "decoder.onnx")]) == 0
    out = capsys.readouterr().out
    assert "decoder as ONNX (opset 18)" in out and "inputs codes" in out and "Checked in onnxruntime" in out
    assert main(["export", str(path), "--out", str(tmp_path / "model.bin")]) == 2
    assert "--to onnx" in capsys.readouterr().err
    assert aegui.export_model is export_model
