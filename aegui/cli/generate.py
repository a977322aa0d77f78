"""`aegui generate MODEL --out FILE`: new digits from a saved model's code density, as NumPy or a sheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aegui.cli.arguments import (
    add_data_arguments,
    check_outputs,
    checked,
    data_inputs,
    fit_density,
    load_data,
)
from aegui.core.errors import AeguiError
from aegui.core.model.configs import MAX_GENERATED
from aegui.core.model.fields import SEED, Field
from aegui.core.safe_text import shown
from aegui.core.words import count

COUNT = Field("count", "generate", int, "How many digits", 1, MAX_GENERATED)
GRID = Field("grid", "generate", int, "The grid's side", 2, 100)
TEMPERATURE = Field("temperature", "generate", float, "Spread of the drawn codes", 0.0, 10.0)


def add_parser(commands) -> None:
    generate = commands.add_parser(
        "generate",
        help="draw new digits from a saved model",
        description="Decode codes drawn from the model's code density (fitted to its training codes when it was "
        "trained; for a file without one, fitted now) into new images.",
    )
    generate.add_argument("model", type=Path, metavar="MODEL", help="a model file saved by aegui")
    amount = generate.add_mutually_exclusive_group()
    amount.add_argument("--count", type=checked(COUNT), default=64, metavar="N", help="how many digits (default: 64)")
    amount.add_argument("--grid", type=checked(GRID), metavar="K",
                        help="a 2-value code's manifold: a K x K grid over the code plane, spaced by the density's "
                        "quantiles, rows top to bottom")  # fmt: skip
    generate.add_argument("--out", type=Path, required=True, metavar="FILE",
                          help="FILE.npy: float32 (N, height, width) in [0, 1], (N, 3, height, width) for colour; "
                          "FILE.png: a contact sheet")  # fmt: skip
    generate.add_argument("--seed", type=checked(SEED), default=0, metavar="SEED",
                          help="random seed for the codes drawn (and, for a file without a code density, the one "
                          "fitted now): the same seed draws the same images "
                          f"({SEED.describe_range()}; default: 0)")  # fmt: skip
    generate.add_argument("--temperature", type=checked(TEMPERATURE), default=1.0, metavar="T",
                          help="spread of the drawn codes around the density's centres (default: 1)")  # fmt: skip
    without = "for a file without a code density:"
    add_data_arguments(generate, f"{without} the data to fit one to (default: auto)",
                       f"{without} a folder of images to fit one to, instead of --dataset")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from aegui.cli.arguments import open_model
    from aegui.core.analysis.mosaic import grid_images, save_contact_sheet
    from aegui.core.data.shapes import check_fits, is_digit_pad, pictures
    from aegui.core.words import item_noun
    from aegui.core.writes import write_with

    suffix = args.out.suffix.lower()
    if suffix not in (".npy", ".png"):
        raise AeguiError(f"--out must end in .npy or .png, not {args.out.name!r}.")
    files, folders = data_inputs(args)
    check_outputs([("--out", args.out)], [("the model file MODEL", args.model), *files], folders)
    checkpoint = open_model(args.model)
    model = checkpoint.model
    if args.grid and model.code_size != 2:
        raise AeguiError(
            f"--grid draws a 2-value code's plane; this model's code has {count(model.code_size, 'value')}."
        )
    if model.density is None and not (args.grid and model.config.variational):
        why = checkpoint.density_problem or "it was saved without one"
        if args.images is None and args.dataset == "auto" and not is_digit_pad(model.image_shape):
            # (the digits `auto` stands for are not this model's images: nothing to fit a density to)
            if model.config.variational:
                print(f"aegui: {shown(args.model.name)} has no usable code density ({why}): drawing codes from the "
                      "VAE's prior N(0, I); give its training images with --images DIR to fit one.",
                      file=sys.stderr)  # fmt: skip
            else:
                raise AeguiError(no_density(args.model.name, why, model.image_shape, checkpoint.dataset))
        else:
            print(f"aegui: {shown(args.model.name)} has no usable code density ({why}): fitting one to its codes of "
                  "the training images.", file=sys.stderr)  # fmt: skip
            data = load_data(args, model.image_shape)
            check_fits(model.image_shape, data)  # (a DataError, said plainly, before any code is computed)
            fit_density(model, data, args.seed)
    if args.grid:
        images = grid_images(model, args.grid)
    else:
        images = model.generate(args.count, seed=args.seed, temperature=args.temperature)
    images = np.ascontiguousarray(images, np.float32)
    noun = item_noun(checkpoint.dataset, shape=model.image_shape)
    if suffix == ".npy":
        write_with(args.out, lambda out: np.save(out, images), f"the {noun}s")
    else:
        save_contact_sheet(args.out, pictures(images, model.image_shape), args.grid or None)
    print(f"Wrote {count(len(images), noun)} to {shown(args.out)}.")
    return 0


def no_density(name: str, why: str, shape: tuple[int, int, int], dataset: str) -> str:
    """Why codes cannot be drawn for a model of `shape` (not digits) that has no code density, and how to get one."""
    from aegui.core.data.datasets import DATASET_CHOICES
    from aegui.core.data.shapes import describe_shape

    named = f" (or --dataset {dataset}, the data it was trained on)" if dataset in DATASET_CHOICES[1:] else ""
    return (f"{name} has no code density saved ({why}), and its images are {describe_shape(shape)}, not digits: "
            "there is nothing to draw its codes from. Give the images it was trained on with --images DIR"
            f"{named} to fit one now, or train it again with --save, which saves its density with it.")  # fmt: skip
