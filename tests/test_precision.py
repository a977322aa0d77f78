"""Training precision: auto takes bf16 only where the hardware computes it natively; bf16 autocast
trains as well as fp32 on a small model, and weights, optimizer state and checkpoints stay fp32."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from aegui.cli import main
from aegui.core.checks import ConfigError
from aegui.core.files.checkpoints import load_checkpoint, save_checkpoint
from aegui.core.model import device
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.model.configs import native_bf16_in
from aegui.core.model.device import resolve_precision
from aegui.core.training.trainer import EpochEnd, TrainConfig, Trainer

TINY = ModelConfig(hidden_sizes=(64,), code_size=16, activation="relu")
CPU = torch.device("cpu")


def train(data, precision: str, epochs: int = 3, config: ModelConfig = TINY) -> Trainer:
    settings = TrainConfig(epochs=epochs, batch_size=100, lr=3e-3, optimizer="adam", loss="bce", precision=precision)
    trainer = Trainer(build_model(config, seed=0), data, settings)
    trainer.run()
    return trainer


def test_auto_takes_bf16_only_on_a_cpu_that_computes_it_natively(monkeypatch):
    assert resolve_precision("fp32", CPU) is None and resolve_precision("bf16", CPU) is torch.bfloat16
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", CPU) is torch.bfloat16
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", CPU) is None
    assert resolve_precision("auto", torch.device("mps")) is None  # (no native bf16 assumed elsewhere)


def test_native_bf16_is_read_from_the_cpu_flags():
    sapphire_rapids = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
    avx2_only = "processor\t: 0\nflags\t\t: fpu sse avx avx2 fma\n"
    assert native_bf16_in(sapphire_rapids) and not native_bf16_in(avx2_only) and not native_bf16_in("")


def test_a_precision_that_is_not_a_choice_is_refused():
    with pytest.raises(ConfigError, match="precision"):
        TrainConfig(precision="fp16")


def test_bf16_trains_as_well_as_fp32_and_keeps_everything_fp32(small_sample, tmp_path):
    full = train(small_sample, "fp32")
    half = train(small_sample, "bf16")
    assert (full.precision, half.precision) == ("fp32", "bf16")
    last = {name: trainer.history.epochs[-1]["test_mse"] for name, trainer in (("fp32", full), ("bf16", half))}
    first = half.history.epochs[0]["test_mse"]
    assert last["bf16"] < first and abs(last["bf16"] - last["fp32"]) < 0.1 * last["fp32"], last
    assert all(p.dtype == torch.float32 for p in half.model.parameters())
    state = half.optimizer.state_dict()["state"]
    assert state and all(t.dtype == torch.float32 for s in state.values() for k, t in s.items() if k != "step")
    assert all(t.dtype == torch.float32 for t in half.latest_snapshot().state.values() if t.is_floating_point())
    path = save_checkpoint(tmp_path / "half.aegui.pt", half.model, half.history, half.config)
    loaded = load_checkpoint(path)
    assert all(t.dtype == torch.float32 for t in loaded.model.state_dict().values() if t.is_floating_point())
    assert loaded.train_config.precision == "bf16"


def test_a_vae_and_a_conv_model_train_in_bf16(small_sample):
    vae = ModelConfig(hidden_sizes=(64,), code_size=4, activation="relu", code_activation="linear", variational=True)
    conv = ModelConfig(kind="conv", channels=(4, 8), hidden_sizes=(), code_size=8, activation="relu")
    for config in (vae, conv):
        trainer = train(small_sample, "bf16", epochs=2, config=config)
        records = [record for record in trainer.history.epochs]
        assert records[-1]["test_loss"] < records[0]["test_loss"] * 1.01, config.kind
        assert all(torch.isfinite(torch.tensor(record["test_kl"])) for record in records)


def test_the_command_line_takes_a_precision_and_records_what_it_used(tmp_path, capsys):
    metrics = tmp_path / "metrics.json"
    code = main(["train", "--epochs", "1", "--dataset", "sample", "--hidden", "32", "--code-size", "4",
                 "--precision", "bf16", "--metrics-out", str(metrics)])  # fmt: skip
    assert code == 0 and "bf16" in capsys.readouterr().out
    config = json.loads(metrics.read_text())["config"]
    assert config["precision"] == "bf16" and config["train"]["precision"] == "bf16"
    with pytest.raises(SystemExit):
        main(["train", "--epochs", "1", "--precision", "fp16"])
    assert "fp16" in capsys.readouterr().err


def test_epoch_records_stay_the_same_shape_in_bf16(small_sample):
    """A bf16 run's records are an fp32 run's, field for field and type for type (Python floats, not bf16
    tensors), so the plot, the metrics file and the checkpoint read them alike."""

    def shapes(precision: str):
        trainer = Trainer(build_model(TINY, seed=0), small_sample,
                          TrainConfig(epochs=1, batch_size=100, precision=precision))  # fmt: skip
        events = list(trainer.iterate())
        records = [{name: type(value) for name, value in dataclasses.asdict(event).items()} for event in events]
        history = [{name: type(value) for name, value in epoch.items()} for epoch in trainer.history.epochs]
        losses = {type(loss) for loss in trainer.history.batch_losses}
        return [type(event) for event in events], records, history, len(trainer.history.batch_losses), losses

    fp32, bf16 = shapes("fp32"), shapes("bf16")
    assert EpochEnd in bf16[0] and bf16[2] and bf16[4] == {float}  # (records to compare)
    assert bf16 == fp32
