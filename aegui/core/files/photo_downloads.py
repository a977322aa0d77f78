"""Downloading a colour photo set (CIFAR-10, SVHN, STL-10) with the checks every download has: mirrors in turn,
published sizes as bounds, torchvision's MD5s, cancellable, and nothing partial left behind."""

from __future__ import annotations

import functools
import os
import shutil
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

from aegui.core.data.photo_sets import PHOTO_SETS, photo_set_folder, photo_set_present
from aegui.core.files.checked_fetch import fetch_checked, fetch_in_turn, stop_if_cancelled
from aegui.core.files.transfer import DEADLINE, DownloadError, ProgressCallback, missing_folders, remove_empty


def download_photo_set(name: str, root: Path, mirrors: list[str], timeout: float, progress: ProgressCallback | None,
                        cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    """Fetch a colour photo set's files (each bounded by its published size and checked against torchvision's
    MD5) and unpack archives into its folder, all in a temporary folder beside it that is renamed only when
    complete: nothing partial is left behind."""
    spec = PHOTO_SETS[name]
    if photo_set_present(name, root):
        return
    target = photo_set_folder(name, root)
    if target.exists() and not target.is_dir():  # refused before anything is fetched
        raise DownloadError(f"Cannot write {spec.title} into {root}: {target.name} there is a file, not a folder.")
    staging = root / f".{spec.folder}.part"
    deadline = time.monotonic() + DEADLINE * 4
    created = missing_folders(root)  # removed again if left empty
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for filename, md5, size in spec.files:
            part = staging / (filename + ".part")

            attempt = functools.partial(fetch_checked, part=part, limit=size, md5=md5, timeout=timeout,
                                        deadline=deadline, progress=progress, cancelled=cancelled)  # fmt: skip
            mirrors = fetch_in_turn(name, filename, mirrors, attempt)
            if spec.archive:
                _unpack_tar(part, staging, spec.folder, cancelled)
                part.unlink()
            else:
                os.replace(part, staging / filename)
        unpacked = staging / spec.folder if spec.archive else staging
        if target.exists():  # an incomplete earlier copy: replaced
            shutil.rmtree(target)
        os.replace(unpacked, target)
    except OSError as error:
        raise DownloadError(f"Cannot write {spec.title} into {root}: {error.strerror or error}.") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        remove_empty(created)


def _unpack_tar(archive: Path, into: Path, folder: str, cancelled: Callable[[], bool] | None) -> None:
    """Unpack a .tar.gz whose members all lie in `folder` (tarfile's "data" filter: no links out, no devices,
    no absolute paths)."""
    try:
        with tarfile.open(archive, "r:gz") as opened:
            for member in opened:
                stop_if_cancelled(cancelled)
                if member.name != folder and not member.name.startswith(folder + "/"):
                    raise DownloadError(f"the archive holds {member.name!r}, outside {folder}/")
                opened.extract(member, into, filter="data")
    except (tarfile.TarError, EOFError) as error:
        raise DownloadError(f"The downloaded archive cannot be unpacked: {error}") from error
