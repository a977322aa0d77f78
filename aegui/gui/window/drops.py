"""What a drag carries: the local files among its URLs, by kind (images for the canvas, model files
for the window)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

from aegui.core.data.image_files import IMAGE_SUFFIXES
from aegui.core.model.configs import SUFFIX


def dropped_file(mime: QMimeData, kind: str) -> Path | None:
    """The first local file of `kind` ("image" or "model") that the drag carries, or None."""
    for url in mime.urls() if mime.hasUrls() else []:
        path = Path(url.toLocalFile()) if url.isLocalFile() else None
        if path is not None and is_kind(path, kind):
            return path
    return None


def is_kind(path: Path, kind: str) -> bool:
    name = path.name.lower()
    if kind == "model":
        return name.endswith((SUFFIX, ".pt"))
    return name.endswith(IMAGE_SUFFIXES)
