import os
import pickle

import numpy as np
import pytest
import torch

import aegui
from aegui.core.files import checkpoints
from aegui.core.files.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import History, TrainConfig, Trainer

CONFIG = ModelConfig(hidden_sizes=(32,), code_size=4, activation="relu")


@pytest.fixture
def trained(small_sample, tmp_path):
    model = build_model(CONFIG, seed=0)
    trainer = Trainer(model, small_sample, TrainConfig(epochs=1, batch_size=200, optimizer="adam", lr=1e-3))
    trainer.run()
    path = save_checkpoint(tmp_path / "m.aegui.pt", model, trainer.history, trainer.config, "sample", "custom")
    return model, trainer, path


def test_round_trip_keeps_everything(trained):
    model, trainer, path = trained
    loaded = load_checkpoint(path)
    assert loaded.config == CONFIG and loaded.train_config == trainer.config
    assert loaded.dataset == "sample" and loaded.preset == "custom" and loaded.created
    assert loaded.history.epochs == trainer.history.epochs
    np.testing.assert_allclose(loaded.history.batch_losses, trainer.history.batch_losses, rtol=1e-6)
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor)
    assert not loaded.model.training


def test_public_api_load_model(trained):
    model, _, path = trained
    loaded = aegui.load_model(str(path))
    images = np.random.default_rng(0).random((2, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(loaded.reconstruct(images), model.reconstruct(images), atol=1e-6)
    assert loaded.encode(images).shape == (2, 4)


def test_failed_save_keeps_previous_file(trained, monkeypatch):
    model, _, path = trained
    before = path.read_bytes()

    def broken_save(obj, handle):
        handle.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoints.torch, "save", broken_save)
    with pytest.raises(CheckpointError, match=r"No space left on device.*Nothing was overwritten"):
        save_checkpoint(path, model)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_saved_files_follow_the_umask(trained):
    _, _, path = trained
    assert path.stat().st_mode & 0o777 == 0o666 & ~checkpoints_umask()


def checkpoints_umask() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def test_a_save_killed_midway_leaves_nothing_behind_after_the_next_save(trained):
    """kill -9 during a save: the target is intact, and its temporary file goes at the next save."""
    import subprocess
    import sys
    import time

    model, _, path = trained
    script = (
        "import os, signal, sys, torch\n"
        "from aegui.core.files import checkpoints\n"
        "from aegui.core.model.autoencoder import ModelConfig, build_model\n"
        "def die(payload, out):\n"
        "    out.write(b'half a file'); out.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
        "checkpoints.torch.save = die\n"
        "checkpoints.save_checkpoint(sys.argv[1], build_model(ModelConfig(hidden_sizes=(32,), code_size=4)))\n"
    )
    before = path.read_bytes()
    for _ in range(3):
        subprocess.run([sys.executable, "-c", script, str(path)], check=False)
    leftovers = [p for p in path.parent.iterdir() if p != path]
    assert path.read_bytes() == before and len(leftovers) == 3
    stale = time.time() - checkpoints.STALE_SECONDS - 60
    for leftover in leftovers:
        os.utime(leftover, (stale, stale))
    save_checkpoint(path, model)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_save_into_a_file_path_that_is_a_folder(trained, tmp_path):
    model, _, _ = trained
    (tmp_path / "folder.aegui.pt").mkdir()
    with pytest.raises(CheckpointError, match="Could not save"):
        save_checkpoint(tmp_path / "folder.aegui.pt", model)


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-checkpoint",))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x01\xfe" + os.urandom(4094), "not a model file \\(its contents are not recognised"),
        (pickle.dumps(RunsCode()), "a Python pickle or an old-format PyTorch file"),
        (b"epochs: 3\nlr: 0.01\n", "a text file, not a model file"),
        (b'{"model": "default", "epochs": 3}', "a JSON or text file, not a model file"),
    ],
    ids=["empty", "random-bytes", "pickle-with-code", "text", "json"],
)
def test_bad_files_are_refused(tmp_path, content, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.aegui.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)
    assert not (tmp_path / "pwned-by-checkpoint").exists()


def test_torch_file_with_code_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.aegui.pt"
    torch.save({"format": "aegui-checkpoint", "payload": RunsCode()}, path)
    with pytest.raises(CheckpointError, match="PyTorch file from another program: it holds Python objects"):
        load_checkpoint(path)
    assert not (tmp_path / "pwned-by-checkpoint").exists()


def test_truncated_file(trained):
    _, _, path = trained
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        load_checkpoint(path)


def test_foreign_torch_file(tmp_path):
    path = tmp_path / "resnet.pt"
    torch.save(build_model(CONFIG).state_dict(), path)
    with pytest.raises(CheckpointError, match="PyTorch file from another program, not an aegui model file"):
        load_checkpoint(path)


def _rewrite(path, **changes):
    payload = torch.load(path, weights_only=True)
    payload.update(changes)
    payload.pop("checksum", None)  # (as a file from before checksums: what is tested is the change itself)
    torch.save(payload, path)


def test_weights_of_another_architecture(trained):
    _, _, path = trained
    _rewrite(path, model_config='{"hidden_sizes": [64], "code_size": 4, "activation": "relu"}')
    with pytest.raises(CheckpointError, match="does not fit its architecture"):
        load_checkpoint(path)


def test_future_version(trained):
    _, _, path = trained
    _rewrite(path, format_version=99)
    with pytest.raises(CheckpointError, match="newer aegui"):
        load_checkpoint(path)


def test_invalid_settings(trained):
    _, _, path = trained
    _rewrite(path, model_config='{"code_size": -3}')
    with pytest.raises(CheckpointError, match="Code size"):
        load_checkpoint(path)


HOSTILE = {
    # a 2 KB file declaring a huge architecture: refused from its sizes, before any layer exists
    "huge architecture": (
        dict(model_config='{"hidden_sizes": [16384, 16384, 16384, 16384], "code_size": 32}'),
        "aegui trains and opens models of up to",
    ),
    # sizes that are allowed, weights that do not fit them: refused before the model's memory is allocated
    "allowed sizes, tiny weights": (
        dict(model_config='{"hidden_sizes": [4096, 4096], "code_size": 32}'),
        "do not fit its architecture",
    ),
    "infinite hidden size": (
        dict(model_config='{"hidden_sizes": [Infinity], "code_size": 4}'),
        "hidden sizes must be a whole number",
    ),
    "infinite channels": (
        dict(model_config='{"kind": "conv", "channels": [Infinity, 2], "code_size": 4}'),
        "channels must be a whole number",
    ),
    "code size as text": (
        dict(model_config='{"hidden_sizes": [64], "code_size": "128"}'),
        "Code size must be a whole number from 1 to 784, not '128'",
    ),
    "too many layers": (
        dict(model_config='{"hidden_sizes": [8, 8, 8, 8, 8, 8, 8, 8, 8], "code_size": 4}'),
        "Hidden sizes must be a list of 0 to 8",
    ),
    # a tiny stored tensor whose strides repeat it into 2x10^8 values (8 GB once read)
    "expanded history": (dict(history_batch_losses=torch.zeros(1).expand(200_000_000)), "laid out in a way"),
    "history of the wrong type": (dict(history_epochs='[{"epoch": 1, "train_loss": "low"}]'), "not a finite number"),
    "history that is not a list": (dict(history_epochs='{"epoch": 1}'), "not a list of epochs"),
    "history with an infinite loss": (
        dict(
            history_epochs='[{"epoch": 1, "train_loss": 1, "test_loss": Infinity, "test_mse": 1, '
            '"test_sse_per_image": 1}]'
        ),
        "not a finite number",
    ),
    "settings that are not JSON": (dict(train_config="{epochs: 3"), "is not readable"),
    "unknown setting": (
        dict(model_config='{"hidden_sizes": [64], "code_size": 4, "layers": 3}'),
        "newer aegui: its model settings include 'layers'",
    ),
    "weights of another type": (dict(state_dict={"x": torch.zeros(3, dtype=torch.int64)}), "do not fit"),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_files_are_refused_before_anything_is_allocated(trained, kind):
    _, _, path = trained
    changes, message = HOSTILE[kind]
    _rewrite(path, **changes)
    with pytest.raises(CheckpointError, match=message) as refused:
        load_checkpoint(path)
    assert "Traceback" not in str(refused.value) and str(refused.value).startswith("Cannot open")


def test_weights_that_are_views_of_a_bigger_stored_tensor_are_refused_or_exact(trained):
    model, _, path = trained
    state = model.state_dict()
    name = next(iter(state))
    big = torch.zeros(state[name].numel() * 4)
    state[name] = big[: state[name].numel()].view(state[name].shape)  # plain view at offset 0: fine
    _rewrite(path, state_dict=state)
    assert torch.equal(load_checkpoint(path).model.state_dict()[name], state[name])
    state[name] = big.as_strided(state[name].shape, (0, 1))  # rows repeat one stored row
    _rewrite(path, state_dict=state)
    with pytest.raises(CheckpointError, match="laid out in a way aegui never writes"):
        load_checkpoint(path)


def test_compressed_entries_are_refused_before_reading(trained, tmp_path):
    """torch never compresses; a deflated entry can hide gigabytes in a few megabytes."""
    import zipfile

    _, _, path = trained
    squeezed = tmp_path / "squeezed.aegui.pt"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(squeezed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(entry.filename, source.read(entry.filename))
    with pytest.raises(CheckpointError, match="compressed entries"):
        load_checkpoint(squeezed)


def test_an_archive_that_claims_more_than_it_holds_is_refused(trained, tmp_path):
    import struct

    _, _, path = trained
    data = bytearray(path.read_bytes())
    directory = data.rfind(b"PK\x01\x02")  # the last entry's central-directory record: claim 1 GB for it
    data[directory + 20 : directory + 28] = struct.pack("<II", 1 << 30, 1 << 30)
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"damaged|claim more data"):
        load_checkpoint(path)


def test_nan_weights(trained):
    model, _, path = trained
    with torch.no_grad():
        model.encoder[0].weight[0, 0] = float("nan")
    save_checkpoint(path, model, History())
    with pytest.raises(CheckpointError, match="NaN"):
        load_checkpoint(path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.aegui.pt")


ACCELERATOR = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else None


@pytest.mark.skipif(ACCELERATOR is None, reason="needs a CUDA or Apple MPS device; none here")
def test_model_trained_on_accelerator_opens_on_cpu(small_sample, tmp_path):
    model = build_model(CONFIG, seed=0)
    config = TrainConfig(epochs=1, batch_size=200, optimizer="adam", lr=1e-3)
    Trainer(model, small_sample, config, device=ACCELERATOR).run()
    assert next(model.parameters()).device.type == ACCELERATOR
    images = small_sample.test_images[:16].float().div(255).reshape(-1, 784)
    with torch.no_grad():
        on_accelerator = model.eval()(images.to(ACCELERATOR)).cpu()
    opened = load_checkpoint(save_checkpoint(tmp_path / "gpu.aegui.pt", model)).model
    assert next(opened.parameters()).device.type == "cpu"
    with torch.no_grad():
        torch.testing.assert_close(opened(images), on_accelerator, atol=1e-4, rtol=1e-4)
