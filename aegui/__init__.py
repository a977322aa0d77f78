"""aegui: a desktop studio for autoencoders.

The Python API: `aegui.load_model(path)` returns a model whose `encode`, `decode` and
`reconstruct` take float arrays or tensors in [0, 1], and whose `generate` draws new digits;
`aegui.image_to_input(path)` makes the model input from an image file, as the window's canvas does;
`aegui.encode_images(model, folder)` encodes a folder, a dataset or an array of images (codes, names,
labels), `aegui.code_worth` and `aegui.knn_accuracy` weigh codes against PCA and pixels, and
`aegui.find_duplicates` pairs near-duplicates among features.
Imports stay light until used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AutoEncoder",
    "ModelConfig",
    "__version__",
    "code_worth",
    "encode_images",
    "export_model",
    "find_duplicates",
    "fit_model_density",
    "image_to_input",
    "knn_accuracy",
    "load_dataset",
    "load_image_folder",
    "load_model",
    "outlier_scores",
    "save_checkpoint",
    "strokes_to_image",
]

if TYPE_CHECKING:
    from aegui.core.checkpoints import load_model, save_checkpoint
    from aegui.core.code_worth import code_worth, knn_accuracy
    from aegui.core.codes import encode_images
    from aegui.core.data import load_dataset
    from aegui.core.duplicates import find_duplicates
    from aegui.core.export import export_model
    from aegui.core.image_files import image_to_input
    from aegui.core.images import load_image_folder
    from aegui.core.latent import fit_model_density
    from aegui.core.model import AutoEncoder, ModelConfig
    from aegui.core.outliers import outlier_scores
    from aegui.core.preprocessing import strokes_to_image

_LAZY = {
    "load_model": "aegui.core.checkpoints",
    "save_checkpoint": "aegui.core.checkpoints",
    "code_worth": "aegui.core.code_worth",
    "knn_accuracy": "aegui.core.code_worth",
    "encode_images": "aegui.core.codes",
    "load_dataset": "aegui.core.data",
    "find_duplicates": "aegui.core.duplicates",
    "export_model": "aegui.core.export",
    "image_to_input": "aegui.core.image_files",
    "load_image_folder": "aegui.core.images",
    "fit_model_density": "aegui.core.latent",
    "AutoEncoder": "aegui.core.model",
    "ModelConfig": "aegui.core.model",
    "outlier_scores": "aegui.core.outliers",
    "strokes_to_image": "aegui.core.preprocessing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aegui' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
