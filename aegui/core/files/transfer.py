"""One file over HTTP, watched: a silent server, a trickle below a minimum rate, a deadline and a cancel each end
the transfer from outside (a watchdog shuts the connection, ending a blocked read at once), and never more bytes
than a limit. What `download` uses for every file it fetches."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from aegui.core.data.catalog import dataset_title
from aegui.core.errors import DataError


class DownloadError(DataError):
    """A download that did not complete; partial files have been removed."""


ProgressCallback = Callable[[str, int, int], None]  # (file name, bytes done, bytes total or 0)


class DownloadCancelled(DownloadError):
    """The person cancelled the download."""


CANCELLED = "The download was cancelled; nothing partial was kept."


MIN_BYTES_PER_S = 4096  # averaged over RATE_WINDOW: a server that trickles is given up
RATE_WINDOW = 20.0
DEADLINE = 30 * 60.0  # seconds for the whole download (EMNIST's archive: four times that)
WATCH_INTERVAL = 0.1
READ_SIZE = 1 << 16  # the most one read takes; it returns what has arrived, so a trickle is counted as it comes
PROGRESS_INTERVAL = 0.1  # seconds between progress reports (reads of what has arrived can be many and small)


class Watchdog:
    """Ends a transfer from outside. The reading thread may sit in a blocking read; cancelling, a
    silent server, a trickle below the minimum rate and the deadline all shut the connection, which
    ends that read at once."""

    def __init__(self, response, timeout: float, deadline: float, cancelled: Callable[[], bool] | None) -> None:
        self.reason: str | None = None
        self.cancelled = False
        self.done = 0
        self._response, self._timeout, self._deadline, self._is_cancelled = response, timeout, deadline, cancelled
        self._started = self._last_data = time.monotonic()
        self._marks: collections.deque[tuple[float, int]] = collections.deque([(self._started, 0)])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="aegui-download-watchdog", daemon=True)
        self._thread.start()

    def received(self, count: int) -> None:
        self.done += count
        self._last_data = time.monotonic()

    @property
    def silence(self) -> str:
        """Why a transfer that went quiet was given up."""
        return f"timed out: no data for {self._timeout:g} s"

    def _check(self) -> str | None:
        now = time.monotonic()
        if self._is_cancelled is not None and self._is_cancelled():
            self.cancelled = True
            return CANCELLED
        if now - self._last_data > self._timeout:
            return self.silence
        if now > self._deadline:
            return f"timed out: the download took longer than {DEADLINE / 60:.0f} minutes"
        self._marks.append((now, self.done))
        while len(self._marks) > 1 and self._marks[1][0] <= now - RATE_WINDOW:
            self._marks.popleft()
        first_time, first_done = self._marks[0]
        if now - self._started >= RATE_WINDOW and (self.done - first_done) / max(now - first_time, 1e-9) < \
                MIN_BYTES_PER_S:  # fmt: skip
            return f"too slow: under {MIN_BYTES_PER_S / 1024:.0f} KB/s for {RATE_WINDOW:.0f} s"
        return None

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            self.reason = self._check()
            if self.reason is not None:
                connection = getattr(getattr(self._response.fp, "raw", None), "_sock", None)
                with contextlib.suppress(OSError, AttributeError):
                    connection.shutdown(socket.SHUT_RDWR)  # the blocked read returns now
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def raise_if_tripped(self) -> None:
        if self.reason is not None:
            raise (DownloadCancelled if self.cancelled else DownloadError)(self.reason)


def fetch(url: str, target: Path, limit: int, timeout: float, deadline: float, progress: ProgressCallback | None,
           cancelled: Callable[[], bool] | None) -> None:  # fmt: skip
    """Download `url` to `target`, never more than `limit` bytes."""
    if cancelled is not None and cancelled():
        raise DownloadCancelled(CANCELLED)
    with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        if total > limit:
            raise DownloadError(f"the server announces {total:,} bytes; the published file has about {limit // 2:,}")
        watchdog = Watchdog(response, timeout, deadline, cancelled)
        shown, reported = -1, 0.0  # the bytes last reported, and when
        try:
            # read1: what has arrived (read would wait for READ_SIZE bytes, hiding a slow stream from the watchdog)
            while chunk := response.read1(READ_SIZE):
                watchdog.received(len(chunk))
                if watchdog.done > limit:
                    raise DownloadError(f"the server sent more than {limit:,} bytes; the published file is smaller")
                out.write(chunk)
                if progress is not None and time.monotonic() - reported >= PROGRESS_INTERVAL:
                    shown, reported = watchdog.done, time.monotonic()
                    progress(target.name.removesuffix(".part"), shown, total)
        except (OSError, ValueError, http.client.HTTPException) as error:
            watchdog.raise_if_tripped()  # a read ended by the watchdog: say why
            if isinstance(error, TimeoutError):  # the socket's own timeout came first
                raise DownloadError(watchdog.silence) from error
            if isinstance(error, http.client.IncompleteRead):  # a chunked response cut short
                raise DownloadError(f"{url} ended after {watchdog.done:,} bytes, before its end.") from error
            raise
        finally:
            watchdog.stop()
        watchdog.raise_if_tripped()
        if total and watchdog.done != total:
            raise DownloadError(f"{url} ended after {watchdog.done:,} of {total:,} bytes.")
        if progress is not None and shown != watchdog.done:
            progress(target.name.removesuffix(".part"), watchdog.done, total)


def file_digest(path: Path, algorithm: str) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


def missing_folders(folder: Path) -> list[Path]:
    """`folder` and those of its parents that do not exist yet, deepest first: the folders that creating it makes."""
    missing: list[Path] = []
    for path in (folder, *folder.parents):
        if path.exists() or path.is_symlink():
            break
        missing.append(path)
    return missing


def remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty


def from_mirrors(name: str, filename: str, mirrors: list[str], attempt: Callable[[str], None]) -> str:
    """Call `attempt(url)` for the file at each mirror in turn until one succeeds; return that mirror.
    If none does, raise a DownloadError that lists every mirror's failure."""
    failures = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + filename
        try:
            attempt(url)
            return mirror
        except DownloadCancelled:
            raise
        except urllib.error.HTTPError as error:
            failures.append(f"{url}: HTTP {error.code} {error.reason}")
        except (OSError, EOFError, DownloadError, ValueError, http.client.HTTPException) as error:  # URLError too
            failures.append(f"{url}: {getattr(error, 'reason', None) or error}")
    raise DownloadError(f"Could not download {filename} for {dataset_title(name)}:\n  " + "\n  ".join(failures))
