"""Downloading a dataset's original files (only when a person asks): mirrors tried in turn, each file
checked against its published digest, nothing partial left behind, cancellable, with progress."""

from __future__ import annotations

import contextlib
import functools
import gzip
import os
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from aegui.core.data.datasets import TORCHVISION_DATA, DataError, check_raw_files, folder_name
from aegui.core.data.photo_sets import PHOTO_SETS
from aegui.core.files.checked_fetch import CHECKSUM_MISMATCH, fetch_checked, fetch_in_turn, stop_if_cancelled
from aegui.core.files.transfer import (
    DEADLINE,
    DownloadError,
    ProgressCallback,
    fetch,
    file_digest,
    from_mirrors,
    missing_folders,
    remove_empty,
)
from aegui.core.files.transfer import DownloadCancelled as DownloadCancelled  # (callers catch it from here)
from aegui.core.folders import default_data_dir

# Mirrors and (file, md5) pairs as torchvision 0.29 publishes them (MNIST, FashionMNIST, KMNIST, QMNIST, EMNIST;
# the colour sets' are in `photo_sets`), kept here: importing torchvision in a worker thread takes seconds, during
# which a cancelled download would have to wait. EMNIST comes as one zip archive of every split's gzipped files.
_QMNIST = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
_EMNIST = (["https://biometrics.nist.gov/cs_links/EMNIST/"], [("gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e")])
SOURCES: dict[str, tuple[list[str], list[tuple[str, str]]]] = {
    "mnist": (
        ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"],
        [
            ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        ],
    ),
    "fashion-mnist": (
        ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
        [
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ],
    ),
    "kmnist": (
        ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"],
        [
            ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
            ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
            ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
            ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
        ],
    ),
    "qmnist": (
        [_QMNIST],
        [
            ("qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
            ("qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4"),
            ("qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
            ("qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa"),
        ],
    ),
    "emnist-digits": _EMNIST,
    "emnist-letters": _EMNIST,
    "emnist-balanced": _EMNIST,
}


# SHA-256 of the unpacked original MNIST files: a mirror that compressed them differently still delivers verified data.
UNPACKED_SHA256 = {
    ("mnist", "train-images-idx3-ubyte"): "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ("mnist", "train-labels-idx1-ubyte"): "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ("mnist", "t10k-images-idx3-ubyte"): "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ("mnist", "t10k-labels-idx1-ubyte"): "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def _check_download(compressed: Path, md5: str, unpacked: Path, key: tuple[str, str]) -> None:
    """Accept the file if the .gz matches torchvision's MD5 or the unpacked data a known SHA-256."""
    expected = UNPACKED_SHA256.get(key)
    if file_digest(compressed, "md5") != md5 and (expected is None or file_digest(unpacked, "sha256") != expected):
        raise DownloadError(CHECKSUM_MISMATCH)


def download_sources(name: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Mirrors and (file, md5) pairs."""
    if name in PHOTO_SETS:
        return list(PHOTO_SETS[name].mirrors), [(file, md5) for file, md5, _bytes in PHOTO_SETS[name].files]
    if name not in SOURCES:
        raise DataError(f"Cannot download {name!r}; choose one of {', '.join(SOURCES)}.")
    mirrors, resources = SOURCES[name]
    return list(mirrors), list(resources)


def _published_sizes() -> dict[str, int]:
    """Every known unpacked file's exact size, from the image and label counts its dataset publishes."""
    counts = {"train-images-idx3-ubyte": 60_000, "t10k-images-idx3-ubyte": 10_000, "qmnist-train-images-idx3-ubyte":
              60_000, "qmnist-test-images-idx3-ubyte": 60_000}  # fmt: skip
    for split, train, test in (
        ("digits", 240_000, 40_000),
        ("letters", 124_800, 20_800),
        ("balanced", 112_800, 18_800),
    ):
        counts[f"emnist-{split}-train-images-idx3-ubyte"] = train
        counts[f"emnist-{split}-test-images-idx3-ubyte"] = test
    sizes = {}
    for images, count in counts.items():
        sizes[images] = 16 + count * 28 * 28
        labels = images.replace("images-idx3-ubyte", "labels-idx1-ubyte")
        sizes[labels] = 8 + count
        sizes[images.replace("images-idx3-ubyte", "labels-idx2-int")] = 12 + count * 8 * 4  # QMNIST's table
    return sizes


# The published files' sizes, compressed (a mirror may compress differently: up to twice this is accepted) and
# unpacked (exact): they bound what a server can make aegui write.
PUBLISHED_BYTES = _published_sizes()
COMPRESSED_BYTES = {
    ("mnist", "train-images-idx3-ubyte.gz"): 9_912_422,
    ("mnist", "t10k-images-idx3-ubyte.gz"): 1_648_877,
    ("mnist", "train-labels-idx1-ubyte.gz"): 28_881,
    ("mnist", "t10k-labels-idx1-ubyte.gz"): 4_542,
    ("fashion-mnist", "train-images-idx3-ubyte.gz"): 26_421_880,
    ("fashion-mnist", "t10k-images-idx3-ubyte.gz"): 4_422_102,
    ("fashion-mnist", "train-labels-idx1-ubyte.gz"): 29_515,
    ("fashion-mnist", "t10k-labels-idx1-ubyte.gz"): 5_148,
}
ARCHIVE_BYTES = 1_000_000_000  # the most an archive may be (EMNIST's gzip.zip: about half a gigabyte)
ARCHIVE_MEMBERS = "gzip/"  # where the zip keeps the gzipped files


def _unpack(compressed: Path | IO[bytes], target: Path, limit: int) -> None:
    """Unpack a .gz file (or stream), never writing more than `limit` bytes (a small file can unpack to
    gigabytes)."""
    written = 0
    with gzip.open(compressed, "rb") as source, target.open("wb") as out:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise DownloadError(f"it unpacks to more than the published {limit:,} bytes")
            out.write(chunk)


def download_dataset(
    name: str,
    data_dir: str | Path | None = None,
    mirrors: list[str] | None = None,
    timeout: float = 30.0,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Download and unpack a dataset's four IDX files into `<data_dir>/<Name>/raw`; return data_dir.

    EMNIST's archive holds every split: the files of all the splits aegui reads are unpacked from it,
    so that a second EMNIST split needs no second download. Each file is checked against torchvision's
    MD5 before it is unpacked. A failed or cancelled download removes every file and folder it added (a
    partial set would look downloaded); files already present are kept. The mirror that served the last
    file is asked first for the next, so a dead mirror costs one timeout, not one per file. `cancelled` is
    polled while downloading; when it returns True the download stops with a DownloadError.
    """
    default_mirrors, resources = download_sources(name)
    mirrors = mirrors or default_mirrors
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    if name in PHOTO_SETS:
        from aegui.core.files.photo_downloads import download_photo_set

        download_photo_set(name, root, mirrors, timeout, progress, cancelled)
        return root
    raw = root / folder_name(name) / "raw"
    archive = resources[0][0].endswith(".zip")
    made = _archive_members(name) if archive else [file.removesuffix(".gz") for file, _md5 in resources]
    # a failure leaves the disk as it was: the files and folders this download adds are removed again
    fresh, created = [raw / file for file in made if not (raw / file).exists()], missing_folders(raw)
    deadline = time.monotonic() + DEADLINE * (4 if archive else 1)
    try:
        try:
            raw.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DownloadError(f"Cannot create {raw}: {error.strerror or error}.") from error
        if archive:
            _download_archive(name, raw, mirrors, resources[0], timeout, deadline, progress, cancelled)
        else:
            _download_files(name, raw, mirrors, resources, timeout, deadline, progress, cancelled)
    except BaseException:
        for path in fresh:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        remove_empty(created)
        raise
    check_raw_files(name, root)
    return root


def _fetch_unpacked(url: str, name: str, filename: str, md5: str, raw: Path, timeout: float, deadline: float,
                    progress: ProgressCallback | None, cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    """Fetch one .gz file, unpack it (bounded by its published size) and check it; nothing partial kept."""
    unpacked = raw / filename.removesuffix(".gz")
    part, unpacked_part = raw / (filename + ".part"), unpacked.with_name(unpacked.name + ".part")
    unpacked_size = PUBLISHED_BYTES.get(unpacked.name, 64 << 20)
    try:
        fetch(url, part, 2 * COMPRESSED_BYTES.get((name, filename), unpacked_size), timeout, deadline, progress,
               cancelled)  # fmt: skip
        _unpack(part, unpacked_part, unpacked_size)
        _check_download(part, md5, unpacked_part, (name, unpacked.name))
        os.replace(unpacked_part, unpacked)
    finally:
        part.unlink(missing_ok=True)
        unpacked_part.unlink(missing_ok=True)


def _download_files(name: str, raw: Path, mirrors: list[str], resources: list[tuple[str, str]], timeout: float,
                    deadline: float, progress: ProgressCallback | None,
                    cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    for filename, md5 in resources:
        if (raw / filename.removesuffix(".gz")).exists():
            continue
        attempt = functools.partial(_fetch_unpacked, name=name, filename=filename, md5=md5, raw=raw, timeout=timeout,
                                  deadline=deadline, progress=progress, cancelled=cancelled)  # fmt: skip
        mirrors = fetch_in_turn(name, filename, mirrors, attempt)


def _archive_members(name: str) -> list[str]:
    """The unpacked files that the archive of `name` provides for every dataset that shares it."""
    sources = SOURCES[name]
    return [file for other, spec in TORCHVISION_DATA.items() if SOURCES[other] is sources
            for pair in spec.files.values() for file in pair]  # fmt: skip


def _download_archive(name: str, raw: Path, mirrors: list[str], resource: tuple[str, str], timeout: float,
                      deadline: float, progress: ProgressCallback | None,
                      cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    """Fetch a zip of gzipped IDX files, check its MD5, unpack the members aegui reads (each bounded by
    its published size), and remove the archive."""
    wanted = [file for file in _archive_members(name) if not (raw / file).exists()]
    if all(file not in wanted for pair in TORCHVISION_DATA[name].files.values() for file in pair):
        return
    filename, md5 = resource
    part = raw / (filename + ".part")

    fetch_archive = functools.partial(fetch_checked, part=part, limit=ARCHIVE_BYTES, md5=md5, timeout=timeout,
                                      deadline=deadline, progress=progress, cancelled=cancelled)  # fmt: skip
    try:
        from_mirrors(name, filename, mirrors, fetch_archive)
        _unpack_members(part, raw, wanted, cancelled)
    finally:
        part.unlink(missing_ok=True)


def _unpack_members(archive: Path, raw: Path, wanted: list[str], cancelled: Callable[[], bool] | None) -> None:
    try:
        with zipfile.ZipFile(archive) as opened:
            for file in wanted:
                stop_if_cancelled(cancelled)
                target = raw / (file + ".part")
                try:
                    with opened.open(ARCHIVE_MEMBERS + file + ".gz") as member:  # unpacked as it is read
                        _unpack(member, target, PUBLISHED_BYTES[file])
                    os.replace(target, raw / file)
                finally:
                    target.unlink(missing_ok=True)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as error:
        raise DownloadError(f"The downloaded archive cannot be unpacked: {error}") from error
