"""`aegui train`: train a model headless, one line per epoch as the lesson printed; alone, or in several
processes (`--nproc`, or started by torchrun)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from aegui.cli.arguments import (
    IMAGES_HELP,
    add_data_arguments,
    check_outputs,
    checked,
    data_inputs,
    field_argument,
    hidden_sizes,
    load_data,
)
from aegui.cli.keeping import RecoveryCopy, Stops, finish, iterate, previous_path, recovery_path
from aegui.cli.presets import table as presets_table
from aegui.core.errors import AeguiError
from aegui.core.model.commands import MODEL_OPTIONS, TRAIN_OPTIONS, shell_word, train_command
from aegui.core.model.configs import DEVICE_CHOICES, INITS, SCHEDULES
from aegui.core.model.fields import FIELD, SEED, Field
from aegui.core.model.presets import LOSS_NAMES, PRESET_NAMES
from aegui.core.safe_text import shown
from aegui.core.words import count

if TYPE_CHECKING:
    from aegui.core.training.distributed import ProcessGroup

PROCESSES = Field("nproc", "train", int, "Training processes on this machine", 1, 1024)
RECOVERY_INTERVAL = 5.0  # seconds between copies of the weights a diverging run goes back to
NOT_TRAINED = "Nothing was trained."


def add_parser(commands) -> None:
    train = commands.add_parser(
        "train",
        help="train a model headless",
        formatter_class=lambda prog: argparse.RawDescriptionHelpFormatter(prog, max_help_position=32),
        description="Train an autoencoder and print one line per epoch, as the lesson did.",
        epilog=presets_table(),
    )
    train.add_argument(
        "--preset",
        choices=PRESET_NAMES,
        help="settings to start from (default: default for 28x28 grey images such as digits, photos for others)",
    )
    # the training fields' ranges, choices and help come from the table the window uses too
    field_argument(train, FIELD["epochs"], "(default: the preset's; more on small data)")
    field_argument(train, FIELD["batch_size"])
    field_argument(train, FIELD["lr"])
    field_argument(train, FIELD["loss"])
    field_argument(train, FIELD["optimizer"])
    field_argument(train, FIELD["precision"], "(default: the preset's, auto)")
    train.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule")
    field_argument(train, FIELD["code_size"])
    train.add_argument("--hidden", dest="hidden_sizes", type=hidden_sizes, help="encoder hidden sizes, e.g. 512,256")
    field_argument(train, FIELD["activation"])
    train.add_argument("--init", choices=INITS, help="'normal': the lesson's unit-normal weights and biases")
    field_argument(train, FIELD["kind"])
    field_argument(train, FIELD["variational"])
    train.add_argument("--linear-path", dest="linear_path", action=argparse.BooleanOptionalAction,
                       help="a linear map beside encoder and decoder that starts as the principal components of the "
                       "training images (PCA), so that training begins where PCA ends (default: the preset's; on "
                       "for photos)")  # fmt: skip
    field_argument(train, FIELD["beta"])
    field_argument(train, FIELD["kl_warmup"])
    train.add_argument("--channels", type=hidden_sizes, help="conv: the two convolutions' channels, e.g. 32,64")
    field_argument(train, FIELD["augment"])
    field_argument(train, FIELD["shift"])
    field_argument(train, FIELD["mirror"])
    field_argument(train, FIELD["noise"])
    field_argument(train, FIELD["noise_level"])
    train.add_argument("--exclude-class", type=int, metavar="K",
                       help="novelty experiments: train without class K (kept in the test set; aegui outliers then "
                       "says how well the reconstruction error finds it)")  # fmt: skip
    add_data_arguments(train, "auto: MNIST if found in the data folder, else the embedded sample (default: auto)",
                       IMAGES_HELP)  # fmt: skip
    train.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help="(default: auto)")
    train.add_argument("--nproc", type=checked(PROCESSES), metavar="N",
                       help="train in N processes on this machine (starts torchrun; gloo on CPUs, nccl on GPUs); "
                       "the same global batch as one process")  # fmt: skip
    field_argument(train, SEED, "(default: 0)", default=0)
    train.add_argument("--resume", type=Path, metavar="MODEL",
                       help="continue training a saved model exactly where it stood (its settings, optimizer, "
                       "schedule and random state): an interrupted run goes on to its planned end, a finished one "
                       "trains --epochs more; saves back to MODEL unless --save says otherwise")  # fmt: skip
    train.add_argument(
        "--print-command",
        action="store_true",
        help="print the `aegui train` line that reproduces these settings exactly, and stop",
    )
    train.add_argument("--save", type=Path, metavar="PATH", help="write the trained model here")
    train.add_argument("--metrics-out", type=Path, metavar="PATH",
                       help="write per-epoch metrics here: JSON, or, for a PATH ending in .csv, every batch and "
                       "epoch as CSV rows (as the window exports runs)")  # fmt: skip
    train.add_argument("--tensorboard", type=Path, metavar="DIR",
                       help="also write the losses as TensorBoard scalars into DIR (aegui[tensorboard])")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from aegui.core.training import distributed

    group = distributed.from_environment()
    if group is None and args.nproc and args.nproc > 1:
        _check_outputs(args)
        return distributed.launch(args.nproc, args.argv)
    if group is None:
        return train_here(args, None)
    with contextlib.ExitStack() as stack:
        stack.callback(distributed.leave)
        if not group.leads:  # rank 0 alone prints; the others' errors still reach stderr
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(os.devnull, "w"))))
        return train_here(args, group)


def train_here(args: argparse.Namespace, group: ProcessGroup | None) -> int:
    """Train in this process: alone, or as one of a torchrun `group` (only its leader saves and writes)."""
    import torch

    from aegui.core.data.shapes import describe_shape, is_digit_pad
    from aegui.core.model.autoencoder import build_model
    from aegui.core.model.device import describe_device, resolve_device_or_cpu
    from aegui.core.model.presets import customise, epochs_for, epochs_note, get_preset
    from aegui.core.training.distributed import join
    from aegui.core.training.trainer import Trainer

    quiet = contextlib.redirect_stdout(io.StringIO()) if args.print_command else contextlib.nullcontext()
    with quiet:  # (--print-command prints the command alone)
        resumed = _resumed(args)  # (its file is read and checked before anything else)
    if args.resume is not None and args.save is None:
        args.save = args.resume
    _check_outputs(args)  # before minutes of training, not after
    device, note = resolve_device_or_cpu(args.device)
    if note:
        print(f"aegui: {note}", file=sys.stderr)
    if group is not None:
        device = join(group, device)
    leads = group is None or group.leads
    torch.manual_seed(args.seed)
    with quiet:
        dataset = load_data(args, resumed[1].image_shape if resumed is not None else None)
    if resumed is None:
        if args.preset is None:  # the preset follows the data, as in the window
            args.preset = "default" if is_digit_pad(dataset.image_shape) else "photos"
            if args.preset == "photos" and not args.print_command:
                print(f"Preset: photos, for {describe_shape(dataset.image_shape)} images (--preset chooses another).")
        base = get_preset(args.preset)
        epochs = args.epochs or epochs_for(base, len(dataset.train_images))
        model_changes = {**{name: getattr(args, name) for name in MODEL_OPTIONS}, "image_shape": dataset.image_shape}
        train_changes = {**{name: getattr(args, name) for name in TRAIN_OPTIONS}, "epochs": epochs, "seed": args.seed}
        preset = customise(base, model=model_changes, train=train_changes)
        if not args.epochs and epochs_note(base, len(dataset.train_images)) and not args.print_command:
            print(epochs_note(base, len(dataset.train_images)))
        model, history, state = build_model(preset.model), None, None
    else:
        preset, model, history, state = resumed
    command = _command(args, preset, dataset, history, state)
    if args.print_command:
        print(command)
        return 0
    # (no window reads its weights: copies are kept only to go back to on divergence, every few seconds)
    trainer = Trainer(model, dataset, preset.train, device, history=history, group=group, resume=state,
                      snapshot_interval=RECOVERY_INTERVAL)  # fmt: skip
    train = preset.train
    board = None
    if args.tensorboard is not None and leads:
        from aegui.core.training.runs import TensorBoardLog

        board = TensorBoardLog(args.tensorboard)  # before training: a missing package is said at once
    print(
        f"Model: {preset.name}, {preset.model.describe()}, {model.parameter_count():,} parameters, "
        f"on {describe_device(device)}" + (f", {count(group.world_size, 'process', 'processes')}." if group else ".")
    )
    batch_note = "" if trainer.batch_size == train.batch_size else f" (the whole training set: {trainer.batch_size})"
    rate = f"lr {train.lr:g} ({train.schedule})"
    if trainer.scheduler is None and train.schedule != "constant":  # (a finished run going on at its last rate)
        rate = f"lr {trainer.lr:.3g} (held where its {train.schedule} schedule ended)"
    print(
        f"Training: {count(train.epochs, 'epoch')}, batch {train.batch_size}{batch_note}, {train.optimizer} "
        f"{rate}, {LOSS_NAMES[train.loss]} loss{train.image_changes()}, seed {train.seed}, "
        f"{trainer.precision}{' (auto)' if train.precision == 'auto' else ''}."
    )
    recovery = None
    if args.save and leads:
        recovery = RecoveryCopy(args.save, model, trainer, dataset.name, preset.name,
                                args.resume is not None and _same(recovery_path(args.save), args.resume))  # fmt: skip
    with Stops() as stops:
        with stops.stage("training", on_stop=trainer.request_stop):
            epochs, ended, samples = iterate(
                trainer, board, leads, preset.model.variational, recovery, stops, len(dataset.train_images)
            )
        code = finish(args, preset, dataset, trainer, group, epochs, ended, samples, device, command, stops, recovery,
                      saves_over_resume(args))  # fmt: skip
    if board is not None:
        print(f"TensorBoard logs: {shown(board.folder)} (tensorboard --logdir {shown(args.tensorboard)})")
    if group is not None and stops.received:  # (the launcher says how it ended: torchrun takes 143 for a failure)
        return 0
    return stops.exit_code or code


def _check_outputs(args: argparse.Namespace) -> None:
    """The outputs can be written, name no input nor each other, lie outside the folders read and the TensorBoard
    folder: said before any work."""
    files, folders = data_inputs(args)
    save = [("--save", args.save)]
    others = [("--metrics-out", args.metrics_out)]
    if args.save is not None:
        recovery = recovery_path(args.save)
        resuming_it = args.resume is not None and recovery.exists() and _same(recovery, args.resume)
        if recovery.exists() and not resuming_it:
            raise AeguiError(f"{shown(recovery)} is a copy to go on from, left by a run that did not finish: go on "
                             f"with `aegui train --resume {shown(recovery)} --save {shown(args.save)}`, or move it "
                             f"away. {NOT_TRAINED}")  # fmt: skip
        if not resuming_it:
            others.append(("the recovery copy of --save", recovery))
        if saves_over_resume(args):  # (the file as it was is kept beside it: that copy is an output too)
            others.append(("the copy of the file as it was", previous_path(args.save)))
    logs = [("--tensorboard", args.tensorboard)]
    check_outputs([*save, *others], files, folders, NOT_TRAINED, logs)
    if args.tensorboard is not None:  # (its folder is made at the start: a file there could not be written)
        board = args.tensorboard.expanduser().absolute()
        for flag, path in [*save, *others]:
            if path is not None and (path.expanduser().absolute() == board or board.is_relative_to(path.absolute())):
                raise AeguiError(f"{flag} {path} and --tensorboard {args.tensorboard} name the same place: the "
                                 f"logs' folder would stand where the file goes. {NOT_TRAINED}")  # fmt: skip
    # (--save may be the file --resume reads, which is then kept as it was beside it; nothing else may)
    resumed = [("the model --resume goes on from", args.resume)]
    check_outputs(others if saves_over_resume(args) else [*save, *others], resumed, (), NOT_TRAINED, logs)


def _same(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def saves_over_resume(args: argparse.Namespace) -> bool:
    """Whether --save names the file --resume reads (by default it does)."""
    return args.resume is not None and args.save is not None and _same(args.save, args.resume)


def _command(args: argparse.Namespace, preset, dataset, history, state) -> str:
    """The line that reproduces this run's result: the settings in full; for a resumed run, the same from
    scratch where that gives the same weights (its optimizer's state went on, on a constant schedule or its
    own planned one, at the rates its settings give, in its precision), else `--resume` of its file."""
    from dataclasses import replace

    train = preset.train
    if args.resume is not None:
        planned = state is not None and state.interrupted and state.run_epochs == state.run_epochs_done + train.epochs
        by_hand = state is not None and (state.scheduler is None if train.schedule != "constant"
                                         else state.optimizer["param_groups"][0]["lr"] != train.lr)  # fmt: skip
        as_set = state is not None and not by_hand  # (its rate never set by hand, nor held as a finished run's)
        if not as_set or args.precision is not None or not (train.schedule == "constant" or planned):
            words = ["aegui", "train", "--resume", str(args.resume), "--epochs", str(train.epochs)]
            words += ["--precision", args.precision] if args.precision is not None else []
            return " ".join(shell_word(word) for word in words)
        train = replace(train, epochs=history.epochs_done + train.epochs)
    return train_command(preset.name, preset.model, train, dataset.name if args.images is None else "", args.images,
                         args.data_dir, dataset.reading)  # fmt: skip


def _resumed(args: argparse.Namespace):
    """With --resume: (the file's settings as a preset, its model, its history, its training state), said in
    a line; the file's dataset is used unless the arguments name data. Otherwise None."""
    if args.resume is None:
        return None
    from dataclasses import replace

    from aegui.cli.arguments import open_model
    from aegui.core.data.datasets import DATASET_CHOICES
    from aegui.core.model.presets import PRESETS, Preset
    from aegui.core.training.resume import plan

    checkpoint = open_model(args.resume)
    if checkpoint.train_config is None:
        raise AeguiError(f"{args.resume} holds no training settings to go on with (an untrained model); train it "
                         "without --resume.")  # fmt: skip
    _drop_the_files_own(args, checkpoint.config, checkpoint.train_config)
    if args.dataset == "auto" and args.images is None and checkpoint.dataset in DATASET_CHOICES:
        args.dataset = checkpoint.dataset
    state, done = checkpoint.training_state, checkpoint.history.epochs_done
    epochs, planned, goes_on = plan(state, args.epochs, checkpoint.train_config.epochs)
    name = checkpoint.preset if checkpoint.preset in PRESETS else args.preset or "default"
    own = checkpoint.train_config
    train = replace(own, epochs=epochs, precision=args.precision or own.precision)
    preset = Preset(name, "", checkpoint.config, train)
    if state is None:
        why = checkpoint.training_state_problem or "it was saved without one"
        print(f"Resuming {shown(args.resume.name)} after {count(done, 'epoch')}: it holds no optimizer state ({why}); "
              f"{count(epochs, 'more epoch')} with a fresh optimizer.")  # fmt: skip
    elif goes_on:
        print(
            f"Resuming {shown(args.resume.name)} after {count(done, 'epoch')}, exactly where its run stopped: "
            f"{count(epochs, 'more epoch')}, to epoch {state.run_epochs_done + epochs} of {planned} on its schedule."
        )
    else:
        ended = float(state.optimizer["param_groups"][0]["lr"])
        rate = f"at the learning rate its run ended on, {ended:.3g}, throughout"
        if train.schedule != "constant":
            rate += (f" (its {train.schedule} schedule is not begun again: climbing back to {train.lr:g} would undo "
                     "what it reached)" + ("; at 0 its weights stay as they are" if ended == 0 else ""))  # fmt: skip
        elif ended == train.lr:
            rate = f"at its learning rate, {ended:g}"
        print(
            f"Resuming {shown(args.resume.name)} after {count(done, 'epoch')} (its run had finished): "
            f"{count(epochs, 'more epoch')} with its optimizer's state, {rate}."
        )
    return preset, checkpoint.model, checkpoint.history, state


def _drop_the_files_own(args: argparse.Namespace, model, train) -> None:
    """With --resume, the options that would change the file's settings are refused, saying which; those equal
    to them are dropped (None), as is --precision equal to the file's: how it computes may change."""
    changes, owns = [], []
    for flag, name, setting, of_model in CHANGES:
        given, own = getattr(args, name), getattr(model if of_model else train, setting)
        if given is None or given == own:
            setattr(args, name, None)
        elif setting != "precision":
            changes.append(flag)
            owns.append(f"{flag} {_shown(own)}")
    if changes:
        raise AeguiError(f"--resume goes on with the file's own settings; {', '.join(changes)} cannot change them "
                         f"(it has {', '.join(owns)}). --epochs, --precision, the data, the device, the outputs and "
                         "options equal to the file's may be given.")  # fmt: skip


def _shown(value) -> str:
    if isinstance(value, tuple):
        return ",".join(str(part) for part in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


# the options of a run's settings: (the option, the name argparse gives it, the setting, whether the model's)
CHANGES = tuple((flag, name, name, name in MODEL_OPTIONS) for name, flag in {**MODEL_OPTIONS, **TRAIN_OPTIONS}.items())
