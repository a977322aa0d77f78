"""The window's small dialogs: where to save or export, keep unsaved work?, and About."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from aegui import __version__
from aegui.core.data.datasets import MNIST_ATTRIBUTION
from aegui.core.data.image_files import IMAGE_SUFFIXES
from aegui.core.model.configs import SUFFIX

if TYPE_CHECKING:
    import torch

MODEL_FILTER = f"aegui models (*{SUFFIX} *.pt);;All files (*)"
EXPORT_FILTERS = {"csv": "CSV files (*.csv)", "npy": "NumPy arrays (*.npy)", "png": "PNG images (*.png)"}


def model_save_path(parent: QWidget, suggestion: Path) -> Path | None:
    """Ask where to save a model; None if the person cancelled. The model suffix is added if missing."""
    path, _ = QFileDialog.getSaveFileName(parent, "Save model as", str(suggestion), MODEL_FILTER)
    if not path:
        return None
    return Path(path if path.endswith((SUFFIX, ".pt")) else path + SUFFIX)


def model_open_path(parent: QWidget, folder: Path) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open model", str(folder), MODEL_FILTER)
    return Path(path) if path else None


def export_path(parent: QWidget, kind: str, name: str, folder: Path) -> Path | None:
    """Ask where to export a `kind` ("csv", "npy" or "png") file, suggesting aegui-`name` in `folder`."""
    path, _ = QFileDialog.getSaveFileName(parent, f"Export {name} as {kind.upper()}",
                                          str(folder / f"aegui-{name}.{kind}"), EXPORT_FILTERS[kind])  # fmt: skip
    return Path(path) if path else None


CODES_FILTERS = {".csv": "CSV: file, label, code values (*.csv)", ".npy": "NumPy: the codes alone (*.npy)",
                 ".parquet": "Parquet: the CSV's columns, needs pyarrow (*.parquet)"}  # fmt: skip


def codes_export_path(parent: QWidget, folder: Path) -> Path | None:
    """Ask where to write every image's code and as what: the ending typed, else the file type chosen's."""
    path, chosen = QFileDialog.getSaveFileName(parent, "Export every image's code", str(folder / "aegui-codes.csv"),
                                               ";;".join(CODES_FILTERS.values()))  # fmt: skip
    if not path:
        return None
    suffix = next((ending for ending, text in CODES_FILTERS.items() if text == chosen), ".csv")
    return Path(path if Path(path).suffix.lower() in CODES_FILTERS else path + suffix)


MODEL_EXPORTS = {  # the file type chosen in the dialog: (format, part)
    "ONNX, whole model (*.onnx)": ("onnx", "full"),
    "ONNX, encoder: images to codes (*.onnx)": ("onnx", "encoder"),
    "ONNX, decoder: codes to images (*.onnx)": ("onnx", "decoder"),
    "TorchScript, whole model (*.pt)": ("torchscript", "full"),
    "TorchScript, encoder (*.pt)": ("torchscript", "encoder"),
    "TorchScript, decoder (*.pt)": ("torchscript", "decoder"),
}


def model_export_path(parent: QWidget, suggestion: Path) -> tuple[Path, str, str] | None:
    """Ask where to export the model and as what: (path, format, part), or None if cancelled."""
    path, chosen = QFileDialog.getSaveFileName(parent, "Export model", str(suggestion), ";;".join(MODEL_EXPORTS))
    if not path:
        return None
    to, part = MODEL_EXPORTS.get(chosen, ("onnx", "full"))
    suffix = ".onnx" if to == "onnx" else ".pt"
    return Path(path if path.endswith(suffix) else path + suffix), to, part


def image_open_path(parent: QWidget, folder: Path) -> Path | None:
    patterns = " ".join(f"*{suffix}" for suffix in IMAGE_SUFFIXES)
    path, _ = QFileDialog.getOpenFileName(parent, "Open image", str(folder), f"Images ({patterns});;All files (*)")
    return Path(path) if path else None


def ask_unsaved(parent: QWidget, doing: str) -> str:
    """Ask what to do with unsaved training: 'save', 'discard' or 'cancel'."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, "Unsaved model",
                      f"The model's training is not saved. Save it before {doing}?",
                      buttons.Save | buttons.Discard | buttons.Cancel, parent)  # fmt: skip
    box.setObjectName("unsavedDialog")
    box.setDefaultButton(buttons.Save)
    answer = buttons(box.exec())
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(answer, "cancel")


def about_text(device: torch.device) -> str:
    import torch  # (loaded by then: About is offered once the window is ready)

    from aegui.gui.concurrency.training_process import describe_training_device

    return (
        f"<b>aegui {__version__}</b><br>A desktop studio for autoencoders.<br><br>"
        f"PyTorch {torch.__version__}<br>Qt {qVersion()} (PySide6 {pyside_version})<br>"
        f"Python {platform.python_version()}<br>Training device: {describe_training_device(device)}<br><br>"
        f"{MNIST_ATTRIBUTION}"
    )


def show_messages(parent: QWidget, history) -> None:
    """Help › Messages: what went wrong or was worth saying while aegui ran (the error sink's history), newest
    first, with the detail of each."""
    notices = list(history)[::-1]
    box = QMessageBox(parent, objectName="messagesBox")
    box.setWindowTitle("Messages")
    if not notices:
        box.setText("No messages: nothing went wrong while aegui ran.")
    else:
        box.setText(f"{len(notices)} message{'s' if len(notices) != 1 else ''}, newest first:")
        box.setInformativeText(
            "\n".join(f"{notice.severity.name.lower()}: {notice.message}" for notice in notices[:20])
        )
        box.setDetailedText("\n\n".join(f"{notice.message}\n{notice.detail}".strip() for notice in notices))
    box.exec()
