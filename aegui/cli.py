"""The command line: `aegui` opens the window; `aegui train`, `aegui generate` and `aegui download` work
headless.

`python main.py`, `python -m aegui` and the `aegui` console script all call `main()`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aegui.core.configs import DEVICE_CHOICES, INITS, MAX_GENERATED, SCHEDULES
from aegui.core.data import DATASET_CHOICES, DOWNLOADABLE
from aegui.core.errors import AeguiError
from aegui.core.fields import FIELD, SEED, Field
from aegui.core.presets import LOSS_NAMES, PRESET_NAMES, PRESETS

if TYPE_CHECKING:
    from aegui.core.distributed import ProcessGroup

COUNT = Field("count", "generate", int, "How many digits", 1, MAX_GENERATED)
GRID = Field("grid", "generate", int, "The grid's side", 2, 100)
PROCESSES = Field("nproc", "train", int, "Training processes on this machine", 1, 1024)
TEMPERATURE = Field("temperature", "generate", float, "Spread of the drawn codes", 0.0, 10.0)


def _presets_table() -> str:
    lines = ["presets (options left out take the preset's value):"]
    for preset in PRESETS.values():
        model, train = preset.model, preset.train
        lines.append(
            f"  {preset.name:8} {model.describe()}; {train.epochs} epochs, batch {train.batch_size}, "
            f"{train.optimizer} lr {train.lr:g} ({train.schedule}), {LOSS_NAMES[train.loss]} loss"
            + (f", augment {train.augment:g}" if train.augment else "")
            + (f", {train.noise} noise {train.noise_level:g}" if train.denoising else "")
        )
    return "\n".join(lines)


def _hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes such as 512,256, not {text!r}") from None
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one hidden size")
    return sizes


def _checked(field: Field):
    """An argparse type that accepts what the field's table entry allows, and says what that is."""

    def parse(text: str):
        try:
            return field.check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = field.name  # argparse names the type in some messages
    return parse


def _field_argument(parser: argparse.ArgumentParser, flag: str, field: Field, note: str = "", **extra: Any) -> None:
    if field.kind is bool:
        kind: dict[str, Any] = {"action": argparse.BooleanOptionalAction}
    elif field.choices:
        kind = {"choices": field.choices}
    else:
        kind = {"type": _checked(field), "metavar": flag[2:].upper()}
    plain = field.choices or field.kind is bool
    lead = field.help if field.help[1:2].isupper() else field.help[0].lower() + field.help[1:]  # VAE stays VAE
    text = lead + ("" if plain else f" ({field.describe_range()})")
    text += f" {note}" if note else ""
    parser.add_argument(flag, dest=field.name, help=text, **kind, **extra)


def build_parser() -> argparse.ArgumentParser:
    from aegui import __version__

    parser = argparse.ArgumentParser(
        prog="aegui",
        description="A desktop studio for autoencoders. With no command, opens the window.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aegui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the window (the default)")
    gui.add_argument("--data-dir", type=Path, help="folder holding MNIST/raw (default: the per-user data folder)")
    gui.add_argument("--model", type=Path, help="open this saved model at start")
    gui.add_argument("--exit-when-shown", action="store_true", help=argparse.SUPPRESS)  # start-up timing
    gui.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)  # the whole window built

    train = commands.add_parser(
        "train",
        help="train a model headless",
        formatter_class=lambda prog: argparse.RawDescriptionHelpFormatter(prog, max_help_position=32),
        description="Train an autoencoder and print one line per epoch, as the lesson did.",
        epilog=_presets_table(),
    )
    train.add_argument(
        "--preset", choices=PRESET_NAMES, default="default", help="settings to start from (default: default)"
    )
    # the training fields' ranges, choices and help come from the table the window uses too
    _field_argument(train, "--epochs", FIELD["epochs"], "(default: the preset's; more on small data)")
    _field_argument(train, "--batch-size", FIELD["batch_size"])
    _field_argument(train, "--lr", FIELD["lr"])
    _field_argument(train, "--loss", FIELD["loss"])
    _field_argument(train, "--optimizer", FIELD["optimizer"])
    _field_argument(train, "--precision", FIELD["precision"], "(default: the preset's, auto)")
    train.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule")
    _field_argument(train, "--code-size", FIELD["code_size"])
    train.add_argument("--hidden", type=_hidden_sizes, help="encoder hidden sizes, e.g. 512,256")
    _field_argument(train, "--activation", FIELD["activation"])
    train.add_argument("--init", choices=INITS, help="'normal': the lesson's unit-normal weights and biases")
    _field_argument(train, "--model", FIELD["kind"])
    _field_argument(train, "--variational", FIELD["variational"])
    _field_argument(train, "--beta", FIELD["beta"])
    _field_argument(train, "--kl-warmup", FIELD["kl_warmup"])
    train.add_argument("--channels", type=_hidden_sizes, help="conv: the two convolutions' channels, e.g. 32,64")
    _field_argument(train, "--augment", FIELD["augment"])
    _field_argument(train, "--noise", FIELD["noise"])
    _field_argument(train, "--noise-level", FIELD["noise_level"])
    train.add_argument(
        "--dataset",
        choices=DATASET_CHOICES,
        default="auto",
        help="auto: MNIST if found in the data folder, else the embedded sample (default: auto)",
    )
    train.add_argument("--data-dir", type=Path, help="folder holding MNIST/raw (default: the per-user data folder)")
    train.add_argument("--images", type=Path, metavar="DIR", help=IMAGES_HELP)
    train.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help="(default: auto)")
    train.add_argument("--nproc", type=_checked(PROCESSES), metavar="N",
                       help="train in N processes on this machine (starts torchrun; gloo on CPUs, nccl on GPUs); "
                       "the same global batch as one process")  # fmt: skip
    _field_argument(train, "--seed", SEED, "(default: 0)", default=0)
    train.add_argument("--save", type=Path, metavar="PATH", help="write the trained model here")
    train.add_argument("--metrics-out", type=Path, metavar="PATH",
                       help="write per-epoch metrics here: JSON, or, for a PATH ending in .csv, every batch and "
                       "epoch as CSV rows (as the window exports runs)")  # fmt: skip
    train.add_argument("--tensorboard", type=Path, metavar="DIR",
                       help="also write the losses as TensorBoard scalars into DIR (aegui[tensorboard])")  # fmt: skip

    generate = commands.add_parser(
        "generate",
        help="draw new digits from a saved model",
        description="Decode codes drawn from the model's code density (fitted to its training codes when it was "
        "trained; for a file without one, fitted now) into new images.",
    )
    generate.add_argument("model", type=Path, metavar="MODEL", help="a model file saved by aegui")
    amount = generate.add_mutually_exclusive_group()
    amount.add_argument("--count", type=_checked(COUNT), default=64, metavar="N", help="how many digits (default: 64)")
    amount.add_argument("--grid", type=_checked(GRID), metavar="K",
                        help="a 2-value code's manifold: a K x K grid over the code plane, spaced by the density's "
                        "quantiles, rows top to bottom")  # fmt: skip
    generate.add_argument("--out", type=Path, required=True, metavar="FILE",
                          help="FILE.npy: float32 (N, 28, 28) in [0, 1]; FILE.png: a contact sheet")  # fmt: skip
    _field_argument(generate, "--seed", SEED, "(default: 0)", default=0)
    generate.add_argument("--temperature", type=_checked(TEMPERATURE), default=1.0, metavar="T",
                          help="spread of the drawn codes around the density's centres (default: 1)")  # fmt: skip
    generate.add_argument("--dataset", choices=DATASET_CHOICES, default="auto",
                          help="for a file without a code density: the data to fit one to (default: auto)")  # fmt: skip
    generate.add_argument("--data-dir", type=Path, help="folder holding MNIST/raw (default: the per-user data folder)")
    generate.add_argument("--images", type=Path, metavar="DIR", help="for a file without a code density: a folder of "
                          "images to fit one to, instead of --dataset")  # fmt: skip

    download = commands.add_parser("download", help="download a dataset into the data folder")
    download.add_argument("dataset", choices=DOWNLOADABLE)
    download.add_argument("--data-dir", type=Path, help="where to put it (default: the per-user data folder)")
    download.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the server (default: 30)")
    download.add_argument("--mirror", action="append", metavar="URL", help="download from this base URL instead")

    commands.add_parser("presets", help="list the presets")
    desktop = commands.add_parser("install-desktop", help="add aegui to your applications menu (Linux desktops)",
                                  description="Write a desktop entry and icons for the current user into "
                                  "$XDG_DATA_HOME (~/.local/share); its Exec runs this installation.")  # fmt: skip
    desktop.add_argument("--uninstall", action="store_true", help="remove what install-desktop wrote")
    datasets = commands.add_parser("datasets", help="list the datasets: which are here, how to get the others")
    datasets.add_argument("--data-dir", type=Path, help="the data folder to look in (default: the per-user one)")
    return parser


IMAGES_HELP = (
    "train on a folder of your own images instead of --dataset: one subfolder per class (its name is the label) "
    "or just images; PNG, JPEG, BMP, WebP, TIFF; train/ and test/ subfolders give the split"
)


def _load_data(args: argparse.Namespace):
    """The dataset the arguments ask for (--images, or --dataset from --data-dir), its description printed."""
    if args.data_dir is not None and not args.data_dir.is_dir():
        raise AeguiError(f"The data folder {args.data_dir} does not exist (or is not a folder).")
    if args.images is None:
        from aegui.core.data import load_dataset

        dataset = load_dataset(args.dataset, args.data_dir)
        print(dataset.describe())
        return dataset
    from aegui.core.images import load_image_folder

    def progress(done: int, total: int) -> None:
        print(f"\rConverting images: {done:,} of {total:,}", end="" if done < total else "\n", file=sys.stderr,
              flush=True)  # fmt: skip

    dataset, report = load_image_folder(args.images, progress=progress)
    print(dataset.describe() + (" (converted images from the cache)" if report.from_cache else ""))
    if report.skipped:
        print(report.describe())
    return dataset


def _install_desktop(args: argparse.Namespace) -> int:
    from aegui import desktop_entry

    try:
        done = desktop_entry.uninstall() if args.uninstall else desktop_entry.install()
    except OSError as error:
        raise AeguiError(f"Could not write the desktop entry: {error.strerror or error}.") from error
    if args.uninstall:
        print(f"Removed {len(done)} files." if done else "There was no desktop entry to remove.")
    else:
        print(f"aegui is in your applications menu ({done[0]}); it starts {desktop_entry.exec_line()}.")
    return 0


def _datasets(args: argparse.Namespace) -> int:
    from aegui.core.data import available_datasets, default_data_dir

    folder = args.data_dir or default_data_dir()
    print(f"Data folder: {folder}")
    for info in available_datasets(folder):
        mark = "here" if info.present else "    "
        print(f"  {mark}  {info.name:<16} {info.about}\n        {'':<16} {info.where}")
    print("  Your own images: `aegui train --images DIR`, or File › Choose image folder… in the window.")
    return 0


def _train(args: argparse.Namespace) -> int:
    from aegui.core import distributed

    group = distributed.from_environment()
    if group is None and args.nproc and args.nproc > 1:
        _check_outputs(args.save, args.metrics_out)
        return distributed.launch(args.nproc, args.argv)
    if group is None:
        return _train_here(args, None)
    with contextlib.ExitStack() as stack:
        stack.callback(distributed.leave)
        if not group.leads:  # rank 0 alone prints; the others' errors still reach stderr
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(os.devnull, "w"))))
        return _train_here(args, group)


def _train_here(args: argparse.Namespace, group: ProcessGroup | None) -> int:
    """Train in this process: alone, or as one of a torchrun `group` (only its leader saves and writes)."""
    import torch

    from aegui.core.checkpoints import save_checkpoint
    from aegui.core.device import describe_device, resolve_device_or_cpu
    from aegui.core.distributed import join
    from aegui.core.model import build_model
    from aegui.core.presets import customise, epochs_for, epochs_note, get_preset
    from aegui.core.training import BatchEnd, Ended, EpochEnd, Trainer

    base = get_preset(args.preset)
    _check_outputs(args.save, args.metrics_out)  # before minutes of training, not after
    device, note = resolve_device_or_cpu(args.device)
    if note:
        print(f"aegui: {note}", file=sys.stderr)
    if group is not None:
        device = join(group, device)
    leads = group is None or group.leads
    torch.manual_seed(args.seed)
    dataset = _load_data(args)
    epochs = args.epochs or epochs_for(base, len(dataset.train_images))
    model_changes = {"code_size": args.code_size, "hidden_sizes": args.hidden, "activation": args.activation,
                     "init": args.init, "kind": args.kind, "channels": args.channels, "variational": args.variational,
                     "code_activation": "linear" if args.variational else None}  # fmt: skip
    train_changes = {"epochs": epochs, "batch_size": args.batch_size, "lr": args.lr, "loss": args.loss,
                     "optimizer": args.optimizer, "schedule": args.schedule, "seed": args.seed,
                     "augment": args.augment, "noise": args.noise, "noise_level": args.noise_level,
                     "beta": args.beta, "kl_warmup": args.kl_warmup, "precision": args.precision}  # fmt: skip
    preset = customise(base, model=model_changes, train=train_changes)
    if not args.epochs and epochs_note(base, len(dataset.train_images)):
        print(epochs_note(base, len(dataset.train_images)))
    model = build_model(preset.model)
    trainer = Trainer(model, dataset, preset.train, device, group=group)
    train = preset.train
    board = None
    if args.tensorboard is not None and leads:
        from aegui.core.runs import TensorBoardLog

        board = TensorBoardLog(args.tensorboard)  # before training: a missing package is said at once
    print(
        f"Model: {args.preset}, {preset.model.describe()}, {model.parameter_count():,} parameters, "
        f"on {describe_device(device)}" + (f", {group.world_size} processes." if group else ".")
    )
    batch_note = "" if trainer.batch_size == train.batch_size else f" (the whole training set: {trainer.batch_size})"
    print(
        f"Training: {train.epochs} epochs, batch {train.batch_size}{batch_note}, {train.optimizer} "
        f"lr {train.lr:g} ({train.schedule}), {LOSS_NAMES[train.loss]} loss, seed {train.seed}, "
        f"{trainer.precision}{' (auto)' if train.precision == 'auto' else ''}."
    )

    from tqdm import tqdm

    bar = tqdm(
        total=trainer.total_steps,
        unit="batch",
        leave=False,
        file=sys.stderr,
        disable=not (sys.stderr.isatty() and leads),
        dynamic_ncols=True,
    )
    epochs: list[EpochEnd] = []
    ended: Ended | None = None
    try:
        for event in trainer.iterate():
            if isinstance(event, BatchEnd):
                bar.update(1)
                if board is not None:
                    board.add_batch_losses([event.loss], event.step)
            elif isinstance(event, EpochEnd):
                epochs.append(event)
                if board is not None:
                    board.add_epoch(event)
                bar.clear()
                kl = f" test_kl= {event.test_kl:.4f}" if preset.model.variational else ""
                print(f"Epoch: {event.epoch:04d} cost= {event.train_loss:.9f} test_mse= {event.test_mse:.9f}{kl}",
                      flush=True)  # fmt: skip
                bar.refresh()
            elif isinstance(event, Ended):
                ended = event
    except KeyboardInterrupt:
        trainer.request_stop()
        ended = Ended("stopped", "Interrupted.", 0, epochs[-1].elapsed if epochs else 0.0)
    finally:
        bar.close()
        if board is not None:
            board.close()

    assert ended is not None
    if ended.reason == "finished":
        print(ended.message)
    elif leads:  # (every process of a group ends alike: one says why)
        print(f"aegui: {ended.message}", file=sys.stderr)
    if epochs:
        last = epochs[-1]
        print(
            f"Test MSE {last.test_mse:.6f}, squared error per image {last.test_sse_per_image:.2f}, "
            f"{last.elapsed:.1f} s, {last.samples_per_s:,.0f} samples/s."
        )
    if not leads:
        return 0 if ended.reason == "finished" else 1
    if epochs and args.save:  # (the density is kept in the model file, for `aegui generate`)
        _fit_density(model, dataset, train.seed)
    if args.save:  # the model first: it is what took the time
        with _interrupts_held("saving the model") as interrupted:
            path = save_checkpoint(args.save, model, trainer.history, train, dataset=dataset.name, preset=args.preset)
        print(f"Saved the model to {path}.")
        if interrupted:
            print("aegui: interrupted; the model was saved, the metrics were not written.", file=sys.stderr)
            return 130
    if args.metrics_out and args.metrics_out.suffix.lower() == ".csv":
        from aegui.core.runs import write_runs_csv

        write_runs_csv(args.metrics_out, [(args.preset, trainer.history)])
    elif args.metrics_out:
        run = {"device": str(device), "precision": trainer.precision, "world_size": group.world_size if group else 1}
        _write_metrics(args.metrics_out, args, preset, dataset, run, epochs, ended)
    if board is not None:
        print(f"TensorBoard logs: {board.folder} (tensorboard --logdir {args.tensorboard})")
    return 0 if ended.reason == "finished" else 1


def _fit_density(model, dataset, seed: int) -> None:
    """Fit the density of the model's training codes (what `generate` draws from) and say so."""
    import time

    from aegui.core.latent import fit_model_density

    started = time.perf_counter()
    model.density = fit_model_density(model.config, model.state_dict(), dataset.train_images, dataset.test_images,
                                      seed)  # fmt: skip
    print(f"Code density for generating: {model.density.describe()} ({time.perf_counter() - started:.1f} s).")


def _generate(args: argparse.Namespace) -> int:
    import numpy as np

    from aegui.core.checkpoints import load_checkpoint

    suffix = args.out.suffix.lower()
    if suffix not in (".npy", ".png"):
        raise AeguiError(f"--out must end in .npy or .png, not {args.out.name!r}.")
    _check_outputs(args.out)
    model = load_checkpoint(args.model).model
    if args.grid and model.code_size != 2:
        raise AeguiError(f"--grid draws a 2-value code's plane; this model's code has {model.code_size} values.")
    if model.density is None and not (args.grid and model.config.variational):
        print(f"aegui: {args.model.name} has no code density (it was saved without one): fitting one to its codes "
              "of the training images.", file=sys.stderr)  # fmt: skip
        _fit_density(model, _load_data(args), args.seed)
    if args.grid:
        images = grid_images(model, args.grid)
    else:
        images = model.generate(args.count, seed=args.seed, temperature=args.temperature)
    images = np.ascontiguousarray(images, np.float32)
    if suffix == ".npy":
        np.save(args.out, images)
    else:
        contact_sheet(images, args.grid or None).save(args.out)
    print(f"Wrote {len(images):,} digits to {args.out}.")
    return 0


def grid_images(model, side: int):
    """The manifold figure of a 2-value code: (side*side, 28, 28), rows top to bottom."""
    from aegui.core.density import CodeDensity

    density = model.density or CodeDensity.standard_normal(2)
    return model.decode(density.quantile_grid(side)).reshape(-1, 28, 28)


def contact_sheet(images, columns: int | None = None):
    """The images (N, 28, 28) in [0, 1] side by side on a black sheet, as a Pillow image."""
    import numpy as np
    from PIL import Image

    from aegui.core.mosaic import GAP, grid

    picture = np.pad(grid(images, columns, background=0.0), GAP)  # a black border as wide as the gaps
    return Image.fromarray(np.clip(np.rint(picture * 255), 0, 255).astype(np.uint8))


def _check_outputs(*paths: Path | None) -> None:
    """Each output can be written, and no two are the same file: checked before training starts."""
    given = [path for path in paths if path is not None]
    resolved = [path.expanduser().resolve() for path in given]
    if len(set(resolved)) != len(resolved):
        raise AeguiError(f"--save and --metrics-out name the same file ({given[0]}): one would overwrite the other.")
    for path in given:
        if path.is_dir():
            raise AeguiError(f"Cannot write {path}: it is a folder. Give a file name.")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path.parent):
                pass
        except OSError as error:
            raise AeguiError(
                f"Cannot write to {path.parent}: {error.strerror or error}. Nothing was trained."
            ) from None


@contextlib.contextmanager
def _interrupts_held(doing: str):
    """Ctrl-C while `doing` waits for it to finish (the save is atomic: a half-written file helps nobody)."""
    asked = []

    def hold(_signum, _frame) -> None:
        if not asked:
            print(f"aegui: still {doing}; it stops as soon as that is done.", file=sys.stderr)
        asked.append(True)

    previous = signal.signal(signal.SIGINT, hold) if threading.current_thread() is threading.main_thread() else None
    try:
        yield asked
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


EPOCH_METRICS = ("epoch", "train_loss", "test_loss", "test_mse", "samples_per_s", "seconds")
VAE_METRICS = ("train_kl", "test_kl")  # nats per image; test_loss is then the reconstruction term alone


def _write_metrics(path: Path, args, preset, dataset, run: dict[str, Any], epochs: list, ended) -> None:
    """The metrics JSON; `run` says where it ran (device, precision, world_size)."""
    metrics: dict[str, Any] = {
        "config": {
            "preset": args.preset,
            "dataset": dataset.name,
            "data": dataset.source,
            "classes": list(dataset.classes),
            **run,
            "model": preset.model.to_dict(),
            "train": preset.train.to_dict(),
        },
        "epochs": [
            {key: getattr(record, key) for key in EPOCH_METRICS + (VAE_METRICS if preset.model.variational else ())}
            for record in epochs
        ],
        "final": {
            "test_mse": epochs[-1].test_mse if epochs else None,
            "test_sse_per_image": epochs[-1].test_sse_per_image if epochs else None,
            "seconds": ended.elapsed,
            "reason": ended.reason,
        },
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(metrics, indent=2) + "\n")
    except OSError as error:
        raise AeguiError(f"Could not write the metrics to {path}: {error.strerror or error}.") from error


def _download(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from aegui.core.data import default_data_dir
    from aegui.core.download import download_dataset

    bars: dict[str, tqdm] = {}

    def progress(name: str, done: int, total: int) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = tqdm(total=total or None, unit="B", unit_scale=True, desc=name, file=sys.stderr)
        bar.update(done - bar.n)

    target = args.data_dir or default_data_dir()
    try:
        root = download_dataset(args.dataset, target, mirrors=args.mirror, timeout=args.timeout, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    print(f"{args.dataset} is ready in {root}.")
    return 0


def _gui(args: argparse.Namespace) -> int:
    from aegui import qt_check

    if qt_check.uses_xcb():  # say what to install rather than let Qt abort (it names the wrong library)
        missing = qt_check.missing_libraries()
        if missing:
            print(qt_check.explain(missing), file=sys.stderr)
            return 3
    from aegui.gui.app import run_app

    return run_app(
        data_dir=getattr(args, "data_dir", None),
        model_path=getattr(args, "model", None),
        exit_when_shown=getattr(args, "exit_when_shown", False),
        exit_when_ready=getattr(args, "exit_when_ready", False),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # (for `train --nproc`, which starts torchrun)
    handlers = {"train": _train, "generate": _generate, "download": _download, "datasets": _datasets, "gui": _gui,
                "install-desktop": _install_desktop, None: _gui}  # fmt: skip
    try:
        if args.command == "presets":
            print(_presets_table())
            return 0
        return handlers[args.command](args)
    except AeguiError as error:
        print(f"aegui: error: {error}", file=sys.stderr)
        return 2
