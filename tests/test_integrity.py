"""Model files lose nothing and let nothing in unseen ("Nothing lost, nothing injected"): damaged weights are
refused by their checksum, files from before checksums still open, bytes flipped anywhere give a plain
message, and a newer aegui's file with a setting this version does not know opens, saying what was ignored,
unless its weights need that setting."""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import pytest
import torch

from aegui.core.files.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import build_model
from aegui.core.model.configs import ModelConfig, TrainConfig
from aegui.core.training.trainer import History

TINY = ModelConfig(hidden_sizes=(32,), code_size=4)


@pytest.fixture
def saved(tmp_path) -> tuple[Path, torch.nn.Module]:
    model = build_model(TINY, seed=0)
    return save_checkpoint(tmp_path / "m.aegui.pt", model, History(), TrainConfig(epochs=3)), model


def _rewrite(path: Path, change, checksum: bool = True) -> None:
    """Change a file's payload as another program (or a newer aegui) would, its checksum made anew (as a newer
    aegui writes one) or dropped (as files from before checksums have none)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    change(payload)
    had_one = payload.pop("checksum", None) is not None
    if checksum and had_one:
        from aegui.core.files.checkpoint_archive import checksum

        payload["checksum"] = checksum(payload)
    torch.save(payload, path)


def _same_weights(loaded, model) -> bool:
    return all(torch.equal(value, model.state_dict()[name]) for name, value in loaded.state_dict().items())


def _flip_inside_the_weights(path: Path) -> None:
    """64 bytes changed in the middle of the largest stored block: the first layer's weights."""
    with zipfile.ZipFile(path) as archive:
        entry = max(archive.infolist(), key=lambda info: info.file_size)
    data = bytearray(path.read_bytes())
    header = entry.header_offset  # a local header: 30 bytes, then the name and the extra field, then the data
    name_length, extra_length = (int.from_bytes(data[at : at + 2], "little") for at in (header + 26, header + 28))
    start = header + 30 + name_length + extra_length + entry.file_size // 2
    for offset in range(start, start + 64):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def test_bytes_flipped_inside_the_weights_are_refused_by_the_checksum(saved):
    path, model = saved
    _flip_inside_the_weights(path)
    with pytest.raises(CheckpointError, match="is damaged: its weights do not match the checksum saved with them"):
        load_checkpoint(path)
    # a file from before checksums still opens
    save_checkpoint(path, model)
    _rewrite(path, lambda payload: None, checksum=False)
    assert "checksum" not in torch.load(path, map_location="cpu", weights_only=True)
    assert _same_weights(load_checkpoint(path).model, model)


def test_settings_changed_behind_the_checksum_are_refused(saved):
    path, _model = saved
    payload = torch.load(path, map_location="cpu", weights_only=True)
    payload["model_config"] = payload["model_config"].replace('"sigmoid"', '"relu"')  # checksum kept as it was
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="damaged: its weights do not match the checksum"):
        load_checkpoint(path)


def test_bytes_flipped_anywhere_give_a_plain_message_or_the_same_weights(saved):
    """Flips in the archive's structure, its record of settings or the weights: never a traceback, and never
    other weights opened without a word."""
    path, model = saved
    original = path.read_bytes()
    damaged = path.with_name("damaged.aegui.pt")
    rng = random.Random(0)
    refused = 0
    for trial in range(120):
        data = bytearray(original)
        start = rng.randrange(0, 3000) if trial % 3 == 0 else rng.randrange(0, len(data) - 64)  # the head: records
        for offset in range(start, start + 64):
            data[offset] ^= rng.randrange(1, 256)
        damaged.write_bytes(bytes(data))
        try:
            loaded = load_checkpoint(damaged)
        except CheckpointError as error:
            assert str(error).startswith(f"Cannot open {damaged}: "), str(error)
            refused += 1
        else:
            assert _same_weights(loaded.model, model), f"trial {trial}: other weights opened silently"
    assert refused > 100


def test_a_newer_files_unknown_training_setting_is_ignored_and_said(saved):
    path, model = saved

    def newer(payload):
        settings = json.loads(payload["train_config"])
        payload["train_config"] = json.dumps({**settings, "warmup_steps": 100})

    _rewrite(path, newer)
    checkpoint = load_checkpoint(path)
    assert checkpoint.train_config == TrainConfig(epochs=3) and _same_weights(checkpoint.model, model)
    assert len(checkpoint.notes) == 1
    assert "'warmup_steps'" in checkpoint.notes[0] and "ignored" in checkpoint.notes[0]


def test_a_newer_files_unknown_model_setting_is_ignored_when_the_weights_fit_without_it(saved):
    path, model = saved

    def newer(payload):
        settings = json.loads(payload["model_config"])
        payload["model_config"] = json.dumps({**settings, "dropout": 0.1})

    _rewrite(path, newer)
    checkpoint = load_checkpoint(path)
    assert checkpoint.config == TINY and _same_weights(checkpoint.model, model)
    assert any("'dropout'" in note and "ignored" in note for note in checkpoint.notes)


def test_a_newer_files_unknown_model_setting_its_weights_need_is_refused_naming_it(saved):
    path, _model = saved

    def newer(payload):
        settings = json.loads(payload["model_config"])
        payload["model_config"] = json.dumps({**settings, "norm": "layer"})
        payload["state_dict"]["encoder.norm.weight"] = torch.ones(32)

    _rewrite(path, newer)
    with pytest.raises(CheckpointError, match=r"newer aegui: its model settings include 'norm'.*weights do not fit"):
        load_checkpoint(path)


def test_a_named_pipe_given_as_a_model_file_is_refused_saying_so(tmp_path):
    import os

    fifo = tmp_path / "pipe.aegui.pt"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"named pipe"):
        load_checkpoint(fifo)
    with pytest.raises(CheckpointError, match=r"folder"):
        load_checkpoint(tmp_path)
