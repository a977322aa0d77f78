"""Models that leave aegui: the whole autoencoder, its encoder or its decoder as ONNX (for onnxruntime, and
from there the web, phones and other languages) or TorchScript (for PyTorch without aegui).

Every export is run once after it is written, on a few images, and counts as done only if its outputs
match the model's within `TOLERANCE`: ONNX in onnxruntime (the `aegui[export]` extra; without it the file
is written and said to be unchecked), TorchScript by loading it back.

Inputs and outputs are named, with a free batch axis: images are float32 (N, pixels) in [0, 1]
(784 for a 28×28 digit, row-major; a colour image's red, green and blue planes one after another), codes
float32 (N, code size). A VAE's encoder gives `mean` and `log_variance`; the whole model
of a VAE decodes the mean, as aegui does.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aegui.core.data.shapes import is_digit_pad
from aegui.core.errors import AeguiError
from aegui.core.model.autoencoder import AutoEncoder
from aegui.core.model.steps import to_float
from aegui.core.writes import write_with

FORMATS = ("onnx", "torchscript")
PARTS = ("full", "encoder", "decoder")
SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt"}
OPSET = 18  # the ONNX operator set written
TOLERANCE = 1e-4  # the largest difference from the model's outputs an export may show
CHECK_IMAGES = 16
HOW_TO_GET = 'pip install "aegui[export]"'


class ExportError(AeguiError):
    """An export that could not be written, or whose outputs do not match the model's."""


@dataclass(frozen=True)
class ExportReport:
    path: Path
    to: str
    part: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    checked_with: str  # "onnxruntime", "torch.jit.load", or "" when nothing could run it here
    max_difference: float | None

    def describe(self) -> str:
        what = f"{self.part} model" if self.part == "full" else self.part
        kind = f"ONNX (opset {OPSET})" if self.to == "onnx" else "TorchScript"
        text = (f"Exported the {what} as {kind} to {self.path}: inputs {', '.join(self.inputs)}, outputs "
                f"{', '.join(self.outputs)}, batch axis free.")  # fmt: skip
        if self.checked_with:
            return text + f" Checked in {self.checked_with}: outputs within {self.max_difference:.1e} of aegui's."
        return text + f" Not checked: onnxruntime is not installed ({HOW_TO_GET})."


class _Part(nn.Module):
    """One part of an autoencoder as a module of its own, in evaluation mode."""

    def __init__(self, model: AutoEncoder, part: str) -> None:
        super().__init__()
        self.model, self.part = model, part

    def forward(self, x: torch.Tensor):
        model = self.model
        if self.part == "decoder":
            return model.decoder(x)
        if self.part == "encoder" and model.config.variational:
            return model.code_distribution(x)
        codes = model.encoder(x)  # (a VAE's encoder gives its mean)
        return codes if self.part == "encoder" else model.decoder(codes)


def names(model: AutoEncoder, part: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The inputs' and outputs' names of an export."""
    inputs = ("codes",) if part == "decoder" else ("images",)
    if part == "encoder":
        return inputs, ("mean", "log_variance") if model.config.variational else ("codes",)
    return inputs, ("images",) if part == "decoder" else ("reconstructions",)


def check_images(model: AutoEncoder, part: str, images: np.ndarray | None = None) -> torch.Tensor:
    """The inputs an export is checked on: flat images (N, pixels) in [0, 1] (default: the embedded sample's
    first test digits for a digit model, seeded random images for others), or their codes for a decoder."""
    if images is not None:
        batch = torch.as_tensor(np.asarray(images, np.float32).reshape(-1, model.config.pixels))
    elif is_digit_pad(model.image_shape):
        from aegui.core.data.datasets import load_sample

        batch = to_float(load_sample().test_images[:CHECK_IMAGES])
    else:
        batch = torch.rand(CHECK_IMAGES, model.config.pixels, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return model.encoder(batch) if part == "decoder" else batch


def export_model(model: AutoEncoder, path: str | Path, to: str = "onnx", part: str = "full",
                 images: np.ndarray | None = None) -> ExportReport:  # fmt: skip
    """Write `part` of `model` to `path` as `to`, run it once and compare with the model; an ExportError
    says why not (a file whose outputs differ is not kept)."""
    if to not in FORMATS or part not in PARTS:
        raise ExportError(f"Export to one of {', '.join(FORMATS)}, as one of {', '.join(PARTS)}; not {to} {part}.")
    path = Path(path)
    model = model.cpu().eval()
    module = _Part(model, part).eval()
    inputs, outputs = names(model, part)
    example = check_images(model, part, images)
    with torch.no_grad():
        expected = module(example)
    expected = expected if isinstance(expected, tuple) else (expected,)
    data = _onnx_bytes(module, example[:2], inputs, outputs) if to == "onnx" else _torchscript_bytes(module, example)
    checked_with, got = _run_onnx(data, example, inputs) if to == "onnx" else _run_torchscript(data, example)
    difference = None
    if got is not None:
        difference = max(float(np.abs(mine - theirs.numpy()).max()) for mine, theirs in zip(got, expected, strict=True))
        if not difference <= TOLERANCE:
            raise ExportError(f"The exported {part} gives outputs up to {difference:.2e} away from aegui's (more than "
                              f"{TOLERANCE:g}); nothing was written.")  # fmt: skip
    write_with(path, lambda out: out.write(data), "the exported model")
    return ExportReport(path, to, part, inputs, outputs, checked_with, difference)


def _onnx_bytes(module: nn.Module, example: torch.Tensor, inputs, outputs) -> bytes:
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise ExportError(f"ONNX export needs the onnx and onnxscript packages ({error.name} is missing): "
                          f"{HOW_TO_GET}.") from None  # fmt: skip
    batch = torch.export.Dim("batch", min=1)
    with tempfile.TemporaryDirectory() as folder, _quiet():
        target = Path(folder) / "model.onnx"
        try:
            program = torch.onnx.export(module, (example,), input_names=list(inputs), output_names=list(outputs),
                                        dynamic_shapes=({0: batch},), opset_version=OPSET, dynamo=True,
                                        external_data=False, verbose=False)  # fmt: skip
            program.save(str(target))
        except Exception as error:  # the exporter's many kinds of failure: one message
            raise ExportError(f"PyTorch could not export this model to ONNX: {type(error).__name__}: {error}") from None
        return target.read_bytes()


def _torchscript_bytes(module: nn.Module, example: torch.Tensor) -> bytes:
    buffer = io.BytesIO()
    with _quiet(), torch.no_grad():
        traced = torch.jit.trace(module, (example[:2],), check_trace=False)
        torch.jit.save(traced, buffer)
    return buffer.getvalue()


def _run_onnx(data: bytes, example: torch.Tensor, inputs) -> tuple[str, list[np.ndarray] | None]:
    try:
        import onnxruntime
    except ImportError:
        return "", None
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return "onnxruntime", session.run(None, {inputs[0]: example.numpy()})


def _run_torchscript(data: bytes, example: torch.Tensor) -> tuple[str, list[np.ndarray]]:
    with _quiet(), torch.no_grad():
        loaded = torch.jit.load(io.BytesIO(data), map_location="cpu")
        got = loaded(example)
    return "torch.jit.load", [tensor.numpy() for tensor in (got if isinstance(got, tuple) else (got,))]


@contextlib.contextmanager
def _quiet():
    """The exporters' deprecation notes and progress lines are not for a person exporting a model."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
