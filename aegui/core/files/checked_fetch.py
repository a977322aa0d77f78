"""The steps both downloads take with each file (the grey sets' in `download`, the colour photo sets' in
`photo_downloads`): fetched within its bound and checked against its published MD5, the mirrors asked in turn
(the one that served asked first for the next file), and a cancel heard between the members of an archive."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aegui.core.files.transfer import (
    CANCELLED,
    DownloadCancelled,
    DownloadError,
    ProgressCallback,
    fetch,
    file_digest,
    from_mirrors,
)

CHECKSUM_MISMATCH = "checksum mismatch: the file is not the published one"


def fetch_checked(url: str, part: Path, limit: int, md5: str, timeout: float, deadline: float,
                  progress: ProgressCallback | None, cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    """Fetch `url` into `part` (at most `limit` bytes) and check it against its published MD5."""
    fetch(url, part, limit, timeout, deadline, progress, cancelled)
    if file_digest(part, "md5") != md5:
        raise DownloadError(CHECKSUM_MISMATCH)


def fetch_in_turn(name: str, filename: str, mirrors: list[str], attempt: Callable[[str], None]) -> list[str]:
    """`attempt(url)` at each mirror in turn (`from_mirrors`); return the mirrors with the one that served first,
    so that a dead mirror costs one timeout, not one per file."""
    mirror = from_mirrors(name, filename, mirrors, attempt)
    return [mirror] + [other for other in mirrors if other != mirror]


def stop_if_cancelled(cancelled: Callable[[], bool] | None) -> None:
    """Raise DownloadCancelled where `cancelled()` says so (asked between the members of an archive)."""
    if cancelled is not None and cancelled():
        raise DownloadCancelled(CANCELLED)
