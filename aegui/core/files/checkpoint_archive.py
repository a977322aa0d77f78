"""A model file's outer layer, checked before anything in it is used: a torch archive of plain, uncompressed
entries that fit in the file (checked from its directory before torch reads a byte), read as plain data
(`weights_only`: opening a file never runs code from it), and its checksum: the SHA-256 of its settings, weights
and code density, saved with them, so that bytes a disk or a copy changed are found on opening, not trained on or
drawn from unseen (files from before checksums have none, and open as they did)."""

from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import torch

from aegui.core.errors import AeguiError

if TYPE_CHECKING:
    import numpy as np

FORMAT = "aegui-checkpoint"
MAX_PICKLE_BYTES = 32 << 20  # the archive's record of plain data (settings, history as JSON text)
MAX_ENTRIES = 4096


class CheckpointError(AeguiError):
    """A model file that cannot be written or read, with the reason."""


def fail(why: str) -> NoReturn:
    raise CheckpointError(why)


def _what_it_is(head: bytes) -> str:
    """Name what a file that is not a torch archive looks like, for the message."""
    if head.startswith(b"PK"):
        return "damaged or truncated (it starts like a PyTorch file, but its contents cannot be read)"
    if head.startswith(b"\x80"):
        return (
            "a Python pickle or an old-format PyTorch file, not an aegui model file (aegui never runs code from a file)"
        )
    text = head.lstrip(b"\xef\xbb\xbf").strip()
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return "not a model file (its contents are not recognised: another kind of file, or damaged)"
    if text[:1] in (b"{", b"["):
        return "a JSON or text file, not a model file"
    return "a text file, not a model file"


def check_archive(path: Path) -> None:
    """The file must be a torch archive of plain, uncompressed entries whose sizes fit in the file
    itself: checked from the archive's directory before torch reads a byte of it."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(512)
    if not zipfile.is_zipfile(path):
        fail(f"it is {_what_it_is(head)}")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        fail(f"it is damaged or truncated ({error})")
    if not entries or len(entries) > MAX_ENTRIES:
        fail(f"it is an archive of {len(entries):,} entries, not a model file")
    records = [entry for entry in entries if entry.filename.endswith("/data.pkl")]
    if len(records) != 1:
        fail("it is a zip archive, not a PyTorch model file")
    total = 0
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED or entry.file_size != entry.compress_size:
            fail("it holds compressed entries, which PyTorch never writes: it was made or altered by another "
                 "program")  # fmt: skip
        total += entry.file_size
        if entry.file_size > size or total > size:
            fail("its entries claim more data than the file holds: it is damaged or was altered")
    if records[0].file_size > MAX_PICKLE_BYTES:
        fail(f"its settings and history take {records[0].file_size:,} bytes, more than any aegui model's")


def read_archive(path: Path) -> dict[str, Any]:
    """The archive's plain data, its tensors mapped from the file (nothing copied yet)."""
    try:
        with warnings.catch_warnings():  # torch warns about foreign pickles before refusing them
            warnings.simplefilter("ignore")
            try:
                str(path).encode("utf-8")
            except UnicodeEncodeError:  # (a name that is not UTF-8: PyTorch maps only files it can name)
                with open(path, "rb") as handle:
                    payload = torch.load(handle, map_location="cpu", weights_only=True)
            else:
                payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:  # pickle, zip and torch errors: a file we cannot read
        text = str(error)
        if "Weights only load failed" in text or "Unsupported global" in text:
            fail("it is a PyTorch file from another program: it holds Python objects, and aegui opens only "
                 "files of plain data and tensors")  # fmt: skip
        fail("it is damaged or truncated (PyTorch cannot read its contents)")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        fail("it is a PyTorch file from another program, not an aegui model file")
    return payload


KEY = "checksum"  # the payload's entry
KIND = "sha256-v1:"  # how the digest was made (what it covers, in what order), before its hex digits
DAMAGED = "it is damaged: its weights do not match the checksum saved with them"
TEXTS = ("model_config", "train_config", "density_source")  # settings, as the JSON text saved
TENSORS = ("state_dict", "density")  # weights and code density: each a dict of tensors by name


def tensor_bytes(value: Any) -> np.ndarray | None:
    """A tensor's values as the bytes they are stored in (a view: nothing copied), or None for anything but a
    plain, contiguous tensor within its storage."""
    if type(value) is not torch.Tensor or value.layout != torch.strided or value.device.type != "cpu" \
            or not value.is_contiguous():  # fmt: skip
        return None
    start = value.storage_offset() * value.element_size()
    if start < 0 or start + value.numel() * value.element_size() > value.untyped_storage().nbytes():
        return None
    return value.detach().reshape(-1).view(torch.uint8).numpy()


def checksum(payload: dict[str, Any], most_bytes: int | None = None) -> str | None:
    """The SHA-256 of a payload's settings (their text) and tensors (names, types, shapes and bytes, in the order
    of their names), or None where it holds something no saved file does, or more than `most_bytes` of tensors (a
    damaged record naming one stored block many times)."""
    digest = hashlib.sha256(FORMAT.encode())
    for key in TEXTS:
        text = payload.get(key, "")
        if not isinstance(text, str):
            return None
        digest.update(f"\n{key}:{len(text)}:".encode() + text.encode("utf-8", "surrogatepass"))
    hashed = 0
    for group in TENSORS:
        tensors = payload.get(group, {})
        if not isinstance(tensors, dict) or not all(isinstance(name, str) for name in tensors):
            return None
        for name in sorted(tensors):
            data = tensor_bytes(tensors[name])
            hashed += data.nbytes if data is not None else 0
            if data is None or (most_bytes is not None and hashed > most_bytes):
                return None
            shape = ",".join(map(str, tensors[name].shape))
            digest.update(f"\n{group}/{name}:{tensors[name].dtype}:{shape}:{data.nbytes}:".encode("utf-8", "replace"))
            digest.update(data)
    return KIND + digest.hexdigest()


def matches(payload: dict[str, Any], most_bytes: int) -> bool:
    """Whether a payload's settings and tensors are those its checksum was made from (True without one)."""
    if KEY not in payload:
        return True
    saved = payload[KEY]
    return isinstance(saved, str) and saved.startswith(KIND) and checksum(payload, most_bytes) == saved
