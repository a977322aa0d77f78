"""Fuzzing what comes from outside: model files (their entries and their bytes) and stored settings.
Whatever arrives, the answer is a usable value or a clear refusal, never another exception."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aegui.core.files.checkpoints import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.model.fields import FIELDS, SEED
from aegui.core.training.trainer import History

CONFIG = ModelConfig(hidden_sizes=(16,), code_size=3, activation="relu")
EPOCH = {"epoch": 1, "train_loss": 0.1, "test_loss": 0.1, "test_mse": 0.1, "test_sse_per_image": 7.8}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.binary(max_size=20),
)  # fmt: skip
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=20,
)


@st.composite
def tensors(draw):
    """Small tensors of any shape, type and layout, some expanded far beyond what they store."""
    dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.int64, torch.uint8, torch.bool]))
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=3)))
    tensor = torch.zeros(shape, dtype=dtype)
    if draw(st.booleans()) and tensor.dim() > 0 and tensor.numel() > 0:
        tensor = tensor[..., :1].expand(*shape[:-1], draw(st.integers(1, 10**9)))
    return tensor


def _json_text(value) -> str:
    return json.dumps(value)


tensor_dicts = st.dictionaries(st.text(max_size=8), tensors(), max_size=3)
entry_values = st.one_of(scalars, tensors(), json_values.map(_json_text), tensor_dicts)
KEYS = ["format", "format_version", "model_config", "train_config", "state_dict", "history_epochs",
        "history_batch_losses", "dataset", "preset", "created"]  # fmt: skip
# model settings with plausible keys and implausible values
config_texts = st.dictionaries(
    st.sampled_from(["hidden_sizes", "code_size", "activation", "kind", "channels", "init", "code_activation"]),
    st.one_of(scalars, st.lists(scalars, max_size=10)), max_size=7,
).map(lambda data: json.dumps(data, default=repr))  # fmt: skip


def _valid_payload() -> dict:
    folder = Path(tempfile.mkdtemp())
    path = save_checkpoint(folder / "m.aegui.pt", build_model(CONFIG, seed=0), History([EPOCH], [0.2, 0.1]))
    return torch.load(path, weights_only=True)


VALID = _valid_payload()


def _outcome(path: Path) -> Checkpoint | CheckpointError:
    try:
        return load_checkpoint(path)
    except CheckpointError as error:
        assert "Traceback" not in str(error) and str(error).startswith("Cannot open")
        return error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(KEYS), entry_values, min_size=1, max_size=4),
       model_config=st.one_of(st.none(), config_texts))  # fmt: skip
def test_any_entries_open_or_are_refused_clearly(tmp_path_factory, changes, model_config):
    payload = dict(VALID, **changes)
    if model_config is not None:
        payload["model_config"] = model_config
    path = tmp_path_factory.mktemp("fuzz") / "m.aegui.pt"
    torch.save(payload, path)
    opened = _outcome(path)
    if isinstance(opened, Checkpoint):  # whatever opens is a model that works
        assert all(torch.isfinite(t).all() for t in opened.model.state_dict().values())
        assert all(math.isfinite(loss) for loss in opened.history.batch_losses)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
       truncate=st.one_of(st.none(), st.integers(0, 10**6)))  # fmt: skip
def test_any_damaged_bytes_open_or_are_refused_clearly(tmp_path_factory, cuts, truncate):
    folder = tmp_path_factory.mktemp("bytes")
    path = save_checkpoint(folder / "m.aegui.pt", build_model(CONFIG, seed=0), History([EPOCH], [0.2]))
    data = bytearray(path.read_bytes())
    for position, value in cuts:
        data[position % len(data)] = value
    if truncate is not None:
        del data[truncate % len(data) :]
    path.write_bytes(bytes(data))
    _outcome(path)


@given(value=st.one_of(scalars, st.lists(scalars, max_size=3), st.integers().map(str), st.floats().map(str)))
def test_any_stored_setting_is_a_value_in_range_or_the_default(value):
    for field in (*FIELDS, SEED):
        parsed = field.parse(value)
        if parsed is None:
            continue
        assert type(parsed) is field.kind
        if field.choices:
            assert parsed in field.choices
        elif field.kind is not bool:
            assert math.isfinite(parsed) and field.low <= parsed <= field.high
