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

from aegui._version import __version__

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
    from aegui.core.analysis.code_worth import code_worth, knn_accuracy
    from aegui.core.analysis.codes import encode_images
    from aegui.core.analysis.duplicates import find_duplicates
    from aegui.core.analysis.latent import fit_model_density
    from aegui.core.analysis.outliers import outlier_scores
    from aegui.core.data.catalog import load_dataset
    from aegui.core.data.image_files import image_to_input
    from aegui.core.data.images import load_image_folder
    from aegui.core.data.preprocessing import strokes_to_image
    from aegui.core.files.checkpoints import load_model, save_checkpoint
    from aegui.core.files.export import export_model
    from aegui.core.model.autoencoder import AutoEncoder, ModelConfig

_LAZY = {
    "load_model": "aegui.core.files.checkpoints",
    "save_checkpoint": "aegui.core.files.checkpoints",
    "code_worth": "aegui.core.analysis.code_worth",
    "knn_accuracy": "aegui.core.analysis.code_worth",
    "encode_images": "aegui.core.analysis.codes",
    "load_dataset": "aegui.core.data.catalog",
    "find_duplicates": "aegui.core.analysis.duplicates",
    "export_model": "aegui.core.files.export",
    "image_to_input": "aegui.core.data.image_files",
    "load_image_folder": "aegui.core.data.images",
    "fit_model_density": "aegui.core.analysis.latent",
    "AutoEncoder": "aegui.core.model.autoencoder",
    "ModelConfig": "aegui.core.model.autoencoder",
    "outlier_scores": "aegui.core.analysis.outliers",
    "strokes_to_image": "aegui.core.data.preprocessing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aegui' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
