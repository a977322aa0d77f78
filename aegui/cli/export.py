"""`aegui export MODEL --out FILE`: the model, its encoder or its decoder as ONNX or TorchScript, run once
and compared with the model before it counts as done."""

from __future__ import annotations

import argparse
from pathlib import Path

from aegui.core.errors import AeguiError
from aegui.core.safe_text import shown

FORMATS = ("onnx", "torchscript")
PARTS = ("full", "encoder", "decoder")


def add_parser(commands) -> None:
    export = commands.add_parser(
        "export",
        help="export a saved model as ONNX or TorchScript",
        description="Write the whole model, its encoder or its decoder as ONNX (opset 18; for onnxruntime) or "
        "TorchScript, with named inputs and outputs and a free batch axis, then run it once on a few images and "
        "compare with the model (within 1e-4). A VAE's encoder gives mean and log_variance.",
    )
    export.add_argument("model", type=Path, metavar="MODEL", help="a model file saved by aegui")
    export.add_argument("--to", choices=FORMATS, help="the format (default: from --out's suffix: .onnx or .pt)")
    export.add_argument("--part", choices=PARTS, default="full",
                        help="full: images to reconstructions; encoder: images to codes; decoder: codes to images "
                        "(default: full)")  # fmt: skip
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="where to write it")


def run(args: argparse.Namespace) -> int:
    from aegui.cli.arguments import check_outputs, open_model
    from aegui.core.files.export import SUFFIXES, export_model

    to = args.to or next((kind for kind, suffix in SUFFIXES.items() if args.out.suffix.lower() == suffix), None)
    if to is None:
        raise AeguiError(f"Say --to onnx or --to torchscript (the name {args.out.name!r} does not tell).")
    check_outputs([("--out", args.out)], [("the model file MODEL", args.model)], nothing_done="Nothing was exported.")
    report = export_model(open_model(args.model).model, args.out, to, args.part)
    print(shown(report.describe()))
    return 0
