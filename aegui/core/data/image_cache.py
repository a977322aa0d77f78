"""The cache of a folder's fitted images (`images.load_image_folder`): one file per folder and fitting, holding
the images, their labels, split and files, and the key their listing gave; a stale or damaged one is read again."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numpy as np

from aegui.core.data.image_files import Fitting
from aegui.core.folders import default_cache_dir

ARRAYS = ("images", "labels", "is_test", "classes", "skipped", "files")


def cache_path(folder: Path, cache_dir: str | Path | None, fitting: Fitting) -> Path:
    name = hashlib.sha256(f"{folder}|{fitting}".encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return Path(cache_dir if cache_dir is not None else default_cache_dir()) / "image-folders" / f"{name}.npz"


def read_cache(path: Path, key: str, shape: tuple[int, ...]) -> dict | None:
    """The cached arrays (ARRAYS) when the cache at `path` holds images of `shape` under `key`, else None."""
    try:
        with np.load(path, allow_pickle=False) as cached:
            if str(cached["key"]) != key:
                return None
            found = {name: cached[name] for name in ARRAYS}
    except Exception:  # absent, stale or damaged: read the folder again
        return None
    images, labels, is_test = found["images"], found["labels"], found["is_test"]
    count = len(images)
    if images.dtype != np.uint8 or images.shape[1:] != shape or labels.shape != (count,) or \
            is_test.shape != (count,) or found["files"].shape != (count,):  # fmt: skip
        return None
    return found


def write_cache(path: Path, key: str, **arrays: np.ndarray) -> None:
    """The arrays written to `path` (a temporary file, then a rename: never half a cache), straight into the file:
    no copy of the images is made in memory."""
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as out:
            np.savez(out, key=key, **arrays)
        os.replace(temporary, path)
    except OSError:  # a cache that cannot be written only costs converting again next time
        with contextlib.suppress(OSError):
            temporary.unlink()
