"""Downloading a dataset's original files (only when a person asks): mirrors tried in turn, each file
checked against its published digest, nothing partial left behind, cancellable, with progress."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from aegui.core.data import (
    DOWNLOADABLE,
    DataError,
    check_raw_files,
    dataset_title,
    default_data_dir,
    folder_name,
    torchvision_class,
)


class DownloadError(DataError):
    """A download that did not complete; partial files have been removed."""


ProgressCallback = Callable[[str, int, int], None]  # (file name, bytes done, bytes total or 0)


def download_sources(name: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Mirrors and (file, md5) pairs, as torchvision publishes them."""
    if name not in DOWNLOADABLE:
        raise DataError(f"Cannot download {name!r}; choose one of {', '.join(DOWNLOADABLE)}.")
    dataset_class = torchvision_class(name)
    return list(dataset_class.mirrors), list(dataset_class.resources)


# SHA-256 of the unpacked original MNIST files: a mirror that compressed them differently
# (so the .gz's MD5 differs from torchvision's) still delivers verified data.
UNPACKED_SHA256 = {
    ("mnist", "train-images-idx3-ubyte"): "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ("mnist", "train-labels-idx1-ubyte"): "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ("mnist", "t10k-images-idx3-ubyte"): "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ("mnist", "t10k-labels-idx1-ubyte"): "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def _file_digest(path: Path, algorithm: str) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def _check_download(compressed: Path, md5: str, unpacked: Path, key: tuple[str, str]) -> None:
    """Accept the file if the .gz matches torchvision's MD5 or the unpacked data a known SHA-256."""
    if _file_digest(compressed, "md5") == md5:
        return
    expected = UNPACKED_SHA256.get(key)
    if expected is not None and _file_digest(unpacked, "sha256") == expected:
        return
    raise DownloadError("checksum mismatch: the file is not the published one")


class DownloadCancelled(DownloadError):
    """The person cancelled the download."""


def _fetch(
    url: str, target: Path, timeout: float, progress: ProgressCallback | None, cancelled: Callable[[], bool] | None
) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        while chunk := response.read(1 << 16):
            if cancelled is not None and cancelled():
                raise DownloadCancelled("The download was cancelled; nothing partial was kept.")
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(target.name.removesuffix(".part"), done, total)
        if total and done != total:
            raise DownloadError(f"{url} ended after {done:,} of {total:,} bytes.")


def download_dataset(
    name: str,
    data_dir: str | Path | None = None,
    mirrors: list[str] | None = None,
    timeout: float = 30.0,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Download and unpack a dataset's four IDX files into `<data_dir>/<Name>/raw`; return data_dir.

    Each file is checked against torchvision's MD5 before it is unpacked. Nothing partial is left
    behind on failure, and files already present and valid are kept. The mirror that served the last
    file is asked first for the next, so a dead mirror costs one timeout, not one per file. `cancelled`
    is polled while downloading; when it returns True the download stops with a DownloadError.
    """
    default_mirrors, resources = download_sources(name)
    mirrors = mirrors or default_mirrors
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    raw = root / folder_name(name) / "raw"
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"Cannot create {raw}: {error.strerror or error}.") from error
    for filename, md5 in resources:
        unpacked = raw / filename.removesuffix(".gz")
        if unpacked.exists():
            continue
        part = raw / (filename + ".part")
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + filename
            try:
                _fetch(url, part, timeout, progress, cancelled)
                unpacked_part = unpacked.with_name(unpacked.name + ".part")
                with gzip.open(part, "rb") as source, unpacked_part.open("wb") as target:
                    shutil.copyfileobj(source, target)
                _check_download(part, md5, unpacked_part, (name, unpacked.name))
                os.replace(unpacked_part, unpacked)
                mirrors = [mirror] + [other for other in mirrors if other != mirror]  # ask it first next time
                break
            except DownloadCancelled:
                raise
            except urllib.error.HTTPError as error:
                failures.append(f"{url}: HTTP {error.code} {error.reason}")
            except (urllib.error.URLError, OSError, EOFError, DownloadError, ValueError) as error:
                reason = getattr(error, "reason", None) or error
                failures.append(f"{url}: {reason}")
            finally:
                part.unlink(missing_ok=True)
                unpacked.with_name(unpacked.name + ".part").unlink(missing_ok=True)
        else:
            raise DownloadError(f"Could not download {filename} for {dataset_title(name)}:\n  " + "\n  ".join(failures))
    check_raw_files(name, root)
    return root
