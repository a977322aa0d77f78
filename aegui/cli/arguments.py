"""What every command shares: the parser class (the error first, usage on request), arguments checked
against the fields table the window uses, loading the data the arguments ask for, and output checks."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aegui.core.errors import AeguiError
from aegui.core.model.fields import Field
from aegui.core.safe_text import shown

IMAGES_HELP = (
    "train on a folder of your own images instead of --dataset: one subfolder per class (its name is the label) "
    "or just images; any format Pillow reads (PNG, JPEG, BMP, WebP, TIFF, PGM/PPM/PBM, …); train/ and test/ "
    "subfolders give the split"
)
DATA_DIR_HELP = "folder holding MNIST/raw (default: the one chosen in the window, else the per-user data folder)"


class Parser(argparse.ArgumentParser):
    """argparse, saying what is wrong (and the valid choices) first, then where the usage is, not 17 lines
    of usage before the error."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\nSee '{self.prog} --help' for the options.\n")


def hidden_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes such as 512,256, not {text!r}") from None
    if not sizes:
        raise argparse.ArgumentTypeError("give at least one hidden size")
    return sizes


def checked(field: Field):
    """An argparse type that accepts what the field's table entry allows, and says what that is."""

    def parse(text: str):
        try:
            return field.check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = field.name  # argparse names the type in some messages
    return parse


def field_argument(parser: argparse.ArgumentParser, field: Field, note: str = "", **extra: Any) -> None:
    """An option from the fields table: its flag, choices or range, and its help (the command line's part of it)."""
    flag = field.option
    if field.kind is bool:
        kind: dict[str, Any] = {"action": argparse.BooleanOptionalAction}
    elif field.choices:
        kind = {"choices": field.choices}
    else:
        kind = {"type": checked(field), "metavar": flag[2:].upper()}
    plain = field.choices or field.kind is bool
    lead = field.help if field.help[1:2].isupper() else field.help[0].lower() + field.help[1:]  # VAE stays VAE
    text = lead + ("" if plain else f" ({field.describe_range()})")
    text += f" {note}" if note else ""
    parser.add_argument(flag, dest=field.name, help=text, **kind, **extra)


def add_data_arguments(parser: argparse.ArgumentParser, dataset_help: str, images_help: str) -> None:
    from aegui.core.data.datasets import DATASET_CHOICES

    parser.add_argument("--dataset", choices=DATASET_CHOICES, default="auto", help=dataset_help)
    parser.add_argument("--data-dir", type=Path, help=DATA_DIR_HELP)
    parser.add_argument("--images", type=Path, metavar="DIR", help=images_help)
    folder = parser.add_argument_group("reading a folder of images (--images)")
    folder.add_argument("--size", type=int, metavar="N",
                        help="the side the images are made (8 to 256; default: 28 for digit-like folders, 32 for "
                             "photos, a model's own for a model)")  # fmt: skip
    folder.add_argument(
        "--color",
        choices=("auto", "rgb", "gray"),
        default="auto",
        help="colour or grey (default %(default)s: rgb when the images have colour, or a model's own)",
    )
    fit_help = (
        "crop to the content and centre it, as for ink on paper, or fit the whole image, as for photos "
        "(default %(default)s: content for digit-like images, whole for photos)"
    )
    folder.add_argument("--fit", choices=("auto", "content", "whole"), default="auto", help=fit_help)
    folder.add_argument(
        "--labels",
        type=Path,
        metavar="CSV",
        help="labels from a CSV file of `file,label` rows instead of class folders",
    )


def load_data(args: argparse.Namespace, shape: tuple[int, int, int] | None = None):
    """The dataset the arguments ask for (--images, or --dataset from --data-dir), its description printed;
    a folder is read at `shape` (a model's) where --size and --color leave it open."""
    if args.data_dir is not None and not is_folder(args.data_dir):
        raise AeguiError(f"The data folder {args.data_dir} does not exist (or is not a folder).")
    size, color = folder_reading(args, shape)
    if args.images is None:
        from aegui.core.data.catalog import load_dataset

        dataset = load_dataset(args.dataset, args.data_dir, size)
        print(shown(dataset.describe()))
        return dataset
    from aegui.core.data.images import load_image_folder

    on_terminal = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:  # (a line rewritten on a terminal; piped, the last one only)
        if on_terminal or done >= total:
            print(f"\rConverting images: {done:,} of {total:,}", end="" if done < total else "\n", file=sys.stderr,
                  flush=True)  # fmt: skip

    dataset, report = load_image_folder(args.images, progress=progress, size=size, color=color, fit=args.fit,
                                        labels=args.labels)  # fmt: skip
    print(shown(dataset.describe()) + (" (converted images from the cache)" if report.from_cache else ""))
    print(report.describe_reading())
    if report.skipped:
        print(report.describe(shown=20) + (" Every one is listed in --metrics-out." if len(report.skipped) > 20 and
                                           getattr(args, "metrics_out", None) else ""))  # fmt: skip
    args.skipped_files = report.skipped  # (the metrics file lists them all)
    return dataset


def is_folder(path: Path) -> bool:
    """Whether `path` is a folder (a name the file system cannot take, or cannot look up, is not one)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def folder_reading(args: argparse.Namespace, shape: tuple[int, int, int] | None = None) -> tuple[int | None, str]:
    """The size and colour a folder is read at: --size and --color, else a model's (`shape`) where one is given."""
    size, color = args.size, args.color
    if shape is not None:
        size = size if size is not None else shape[1]
        color = color if color != "auto" else "rgb" if shape[0] == 3 else "gray"
    return size, color


def data_inputs(args: argparse.Namespace) -> tuple[list[tuple[str, Path | None]], list[tuple[str, Path | None]]]:
    """What the data arguments read: (files, folders), each `(what, path)`, for `check_outputs`: the labels file,
    the image folder, and the datasets' own folders in the data folder (`--data-dir`, or the one in use)."""
    from aegui.core.data.datasets import PHOTO_SET_NAMES, SAMPLE_FILE, TORCHVISION_DATA
    from aegui.core.data.photo_sets import photo_set_folder
    from aegui.resources import resource_path

    images = getattr(args, "images", None)
    files = [("the labels file --labels", getattr(args, "labels", None))]
    folders = [("the image folder --images", images)]
    if images is not None:  # (a link inside it to a file elsewhere is read too)
        files += [("an image the folder --images links to", target) for target in _linked_files(images)]
    elif hasattr(args, "dataset"):
        root = args.data_dir if getattr(args, "data_dir", None) is not None else _data_folder_in_use()
        folders += [(f"the dataset files of {entry.title}", root / entry.folder) for entry in TORCHVISION_DATA.values()]
        folders += [(f"the dataset files of {name}", photo_set_folder(name, root)) for name in PHOTO_SET_NAMES]
        if root.name == "raw" or any(root.name == entry.folder for entry in TORCHVISION_DATA.values()):
            folders.append(("the dataset files in the data folder", root))  # (--data-dir spelled MNIST/raw)
        files.append(("the embedded sample", Path(resource_path(SAMPLE_FILE))))
    return files, folders


def _linked_files(folder: Path, limit: int = 200_000) -> list[Path]:
    """The files that symbolic links inside `folder` name (they are read as the folder's images)."""
    found: list[Path] = []
    for parent, _folders, names in os.walk(folder):
        for name in names:
            path = Path(parent) / name
            if path.is_symlink() and path.is_file():
                found.append(path.resolve())
        if len(found) >= limit:
            break
    return found


def _data_folder_in_use() -> Path:
    from aegui.core.folders import chosen_data_folder, default_data_dir

    return chosen_data_folder() or default_data_dir()


def check_outputs(
    outputs: Sequence[tuple[str, Path | None]],
    inputs: Sequence[tuple[str, Path | None]] = (),
    folders: Sequence[tuple[str, Path | None]] = (),
    nothing_done: str = "Nothing was written.",
    output_folders: Sequence[tuple[str, Path | None]] = (),
) -> None:
    """Before any work: each output (`(option, path)`) can be written (a file or nothing yet; a link is followed to
    its file; never a device, a named pipe or a folder; a name its file system takes, in a folder that can be
    written), is none of the `inputs` and lies in none of the `folders` being read, and no two are the same file.
    `output_folders` (a folder of logs) are held only against the inputs. Nothing is created."""
    from aegui.core.writes import WriteError, refuse_inputs_as_outputs, writable_target

    given = [(flag, path) for flag, path in outputs if path is not None]
    try:
        targets = [writable_target(path) for _flag, path in given]
        refuse_inputs_as_outputs([*given, *output_folders], inputs, folders, nothing_done)
    except WriteError as error:
        raise AeguiError(f"{error}" if nothing_done in str(error) else f"{error} {nothing_done}") from None
    for index, (flag, path) in enumerate(given):
        for other_flag, other in given[:index]:
            if targets[index].resolve() == writable_target(other).resolve():
                raise AeguiError(f"{other_flag} and {flag} name the same file ({path}): one would overwrite the "
                                 f"other. {nothing_done}")  # fmt: skip
    for (_flag, path), target in zip(given, targets, strict=True):
        _check_folder_writable(path, target.parent, nothing_done)


def _check_folder_writable(path: Path, folder: Path, nothing_done: str) -> None:
    """The folder `path` goes into exists and can be written, or can be made (its nearest existing ancestor is a
    folder that can be written); nothing is created."""
    existing = next((parent for parent in (folder, *folder.parents) if parent.exists()), None)
    if existing is None:
        raise AeguiError(f"Cannot write {path}: none of the folders it goes into exists. {nothing_done}")
    if not existing.is_dir():
        raise AeguiError(f"Cannot write {path}: {existing} is a file, not a folder. {nothing_done}")
    try:
        if existing == folder:
            with tempfile.TemporaryFile(dir=folder):
                pass
        elif not os.access(existing, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, "Permission denied")
    except OSError as error:
        raise AeguiError(f"Cannot write to {existing}: {error.strerror or error}. {nothing_done}") from None


def open_model(path: Path):
    """The checkpoint in a model file, with what a person should know of how it was read (settings a newer aegui
    wrote, left out) said on standard error."""
    from aegui.core.files.checkpoints import load_checkpoint
    from aegui.core.safe_text import terminal_text

    checkpoint = load_checkpoint(path)
    for note in checkpoint.notes:
        print(f"aegui: {terminal_text(note)}", file=sys.stderr)
    return checkpoint


def fit_density(model, dataset, seed: int) -> None:
    """Fit the density of the model's training codes (what `generate` draws from) and say so."""
    import time

    from aegui.core.analysis.latent import fit_model_density

    started = time.perf_counter()
    model.density = fit_model_density(model.config, model.state_dict(), dataset.train_images, dataset.test_images,
                                      seed, train_labels=dataset.train_labels)  # fmt: skip
    print(f"Code density for generating: {model.density.describe()} ({time.perf_counter() - started:.1f} s).")
