"""Whether the model in the session takes the data in use, and what to do when it does not: the preset that
fits the data (as `aegui train` picks it), the sentence every view shows, and loading the data a model was
trained on when it is opened or restored.

`DataFit` is a part of `SessionController`: it decides, and holds no state of its own; it reads the session's
model, history and data through `host.DataFitHost`, and asks nothing of it but to load data."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from aegui.core.data.catalog import dataset_title
from aegui.core.data.datasets import DATASET_CHOICES, IMAGES
from aegui.core.data.shapes import describe_shape, is_digit_pad
from aegui.core.words import possessive

if TYPE_CHECKING:
    from aegui.gui.session.host import DataFitHost

DIGITS_PRESET, PHOTOS_PRESET = "default", "photos"
SAME_DIGITS = frozenset({"sample", "mnist"})  # the embedded sample is 5,000 of MNIST's digits: the same data
NAMED = frozenset(DATASET_CHOICES) - {"auto", IMAGES}


def fitting_preset(shape: tuple[int, int, int]) -> str:
    """The preset made for images of `shape`, as `aegui train` picks it when none is given."""
    return DIGITS_PRESET if is_digit_pad(shape) else PHOTOS_PRESET


def preset_fits(preset: str, shape: tuple[int, int, int]) -> bool:
    """Whether a preset is made for images of `shape`: photos for colour or larger images, the others for digits."""
    return (preset == PHOTOS_PRESET) != is_digit_pad(shape)


def data_title(key: str) -> str:
    """What a person calls the data a model file names: "MNIST", or a folder of images by its name."""
    name, _, folder = key.partition(":")
    if name == IMAGES:
        return Path(folder).name or "a folder of images"
    return dataset_title(name) if name in NAMED else key


def same_data(key: str, dataset) -> bool:
    """Whether a model file's data (its key) is `dataset` (a folder of images it does not name: any folder)."""
    return key in (dataset.key, dataset.name) or {key, dataset.name} <= SAME_DIGITS


class DataFit:
    """The model against the data: what the session's host says and does when they do not go together."""

    def __init__(self, host: DataFitHost) -> None:
        self.host = host

    def takes_data(self) -> bool:
        """Whether the model in the session runs on the data in use (True while either is missing)."""
        dataset, model = self.host.data.dataset, self.host.model
        return dataset is None or model is None or model.image_shape == dataset.image_shape

    def trained_data_key(self) -> str:
        """The data a model file names: what the model was trained on, else the data in use ('' for none)."""
        trained_on, dataset = self.host.trained_on, self.host.dataset
        if trained_on is not None:
            return trained_on[0]
        return dataset.key if dataset is not None else ""

    def fitting_preset(self) -> str | None:
        """The preset made for the data in use (None: no data yet)."""
        dataset = self.host.dataset
        return None if dataset is None else fitting_preset(dataset.image_shape)

    def preset_fits(self, preset: str) -> bool:
        """Whether a preset is made for the data in use (True while none is loaded)."""
        dataset = self.host.dataset
        return dataset is None or preset_fits(preset, dataset.image_shape)

    def unfit_note(self, short: bool = False) -> str:
        """What every view says while the model does not take the data: plainly, and what to do ('' if it does);
        `short`: in one line, for the drawing row."""
        if self.takes_data():
            return ""
        dataset, shape = self.host.dataset, self.host.model.image_shape
        if short:
            return (f"This model takes {describe_shape(shape)} images, not {possessive(dataset.title)} "
                    f"{describe_shape(dataset.image_shape)}: Train makes a new model for them, or choose data it "
                    "takes.")  # fmt: skip
        return (f"This model takes {describe_shape(shape)} images; {possessive(dataset.title)} are "
                f"{describe_shape(dataset.image_shape)}, so it cannot run on them. Train a new model for them (Train; "
                f"the '{fitting_preset(dataset.image_shape)}' preset is made for them), or choose data of "
                f"{describe_shape(shape)} images (File › Choose image folder…).")  # fmt: skip

    def data_note(self) -> str:
        """What Train would do with a trained model and other data than it was trained on ('' if nothing)."""
        host = self.host
        dataset, trained_on = host.dataset, host.trained_on
        if dataset is None or trained_on is None or not host.history.epochs_done:
            return ""
        key, title = trained_on
        if not self.takes_data():
            kept = "after asking about this one (Save keeps it)" if host.dirty else "this one stays in its file"
            return (f"This model takes {describe_shape(host.model.image_shape)} images; {possessive(dataset.title)} "
                    f"are {describe_shape(dataset.image_shape)}. Train starts a new model for them; "
                    f"{kept}.")  # fmt: skip
        if same_data(key, dataset):
            return ""
        return (
            f"This model was trained on {title}; Train goes on training it on {dataset.title}. New model starts afresh."
        )

    def follow_model_data(self, key: str) -> str:
        """Load the data a model just opened or restored was trained on (`key`, as its file names it), when it is
        not the data in use and can be found here; a sentence saying what happens ('' when nothing does)."""
        data, dataset, model = self.host.data, self.host.dataset, self.host.model
        if not key or key == IMAGES or model is None or (dataset is not None and same_data(key, dataset)):
            return ""
        name, _, folder = key.partition(":")
        title = data_title(key)
        size, colour = model.image_shape[1], "rgb" if model.image_shape[0] == 3 else "gray"
        if name == IMAGES:
            if not Path(folder).is_dir():
                return f"The folder it was trained on, {folder}, is not there: choose its images to see them."
            data.reading = replace(data.reading, size=size, colour=colour)  # at the model's size and colour
            return f"Loading {title}, the images it was trained on." if self.host.load_data(IMAGES, folder) else ""
        if name not in NAMED:
            return ""
        from aegui.core.data.catalog import available_datasets

        if not next((info.present for info in available_datasets(data.folder) if info.name == name), False):
            return f"It was trained on {title}, which is not in the data folder: download it to see its images."
        if not is_digit_pad(model.image_shape):
            data.reading = replace(data.reading, size=size, colour=colour)
        return f"Loading {title}, the data it was trained on." if self.host.load_data(name) else ""
