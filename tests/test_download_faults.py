"""Download faults: the watchdog sees a slow stream as it trickles in (slow: "too slow" after RATE_WINDOW; silent:
"no data" after the timeout; fast enough: finished), and a failed, cancelled or refused download leaves no file or
folder it made while keeping what was there. Local servers on 127.0.0.1 only, the windows shrunk to seconds."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from aegui.cli import main
from aegui.core.data.catalog import available_datasets
from aegui.core.data.photo_sets import PHOTO_SETS
from aegui.core.files import download, transfer
from aegui.core.files.download import DownloadCancelled, DownloadError
from tests.test_data import _emnist_archive, make_fake_mnist, write_idx

Body = Callable[[BaseHTTPRequestHandler], None]


class Servers:
    """Local servers whose GET handler is a function of the handler; `asked` lists every path requested."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.stop = threading.Event()  # ends the bodies still sending when the test is over
        self._started: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(self, body: Body) -> str:
        asked = self.asked

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                asked.append(self.path)
                with contextlib.suppress(OSError):  # the client hung up
                    body(self)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # (quick to shut down)
        thread.start()
        self._started.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}/"

    def close(self) -> None:
        self.stop.set()
        for server, thread in self._started:
            server.shutdown()
            server.server_close()
            thread.join()


@pytest.fixture
def servers():
    started = Servers()
    yield started
    started.close()


def _head(handler: BaseHTTPRequestHandler, length: int | None, *headers: tuple[str, str]) -> None:
    handler.send_response(200)
    if length is not None:
        handler.send_header("Content-Length", str(length))
    for key, value in headers:
        handler.send_header(key, value)
    handler.end_headers()


def steady(piece: bytes, gap: float, length: int, stop: threading.Event) -> Body:
    """Sends `length` bytes as `piece` every `gap` seconds."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, length)
        for _ in range(length // len(piece)):
            if stop.wait(gap):
                return
            handler.wfile.write(piece)
            handler.wfile.flush()

    return body


def files(served: dict[str, bytes]) -> Body:
    """Serves these files at once; 404 for any other."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        data = served.get(handler.path.rsplit("/", 1)[-1])
        if data is None:
            handler.send_error(404)
            return
        _head(handler, len(data))
        handler.wfile.write(data)

    return body


def not_found(handler: BaseHTTPRequestHandler) -> None:
    handler.send_error(404)


def cut(handler: BaseHTTPRequestHandler) -> None:
    """Announces 100,000 bytes, sends 5,000 and closes the connection."""
    _head(handler, 100_000)
    handler.wfile.write(b"\x1f\x8b" + bytes(4998))


def cut_chunked(handler: BaseHTTPRequestHandler) -> None:
    """A chunked response that ends after its first chunk, without the last (empty) one."""
    _head(handler, None, ("Transfer-Encoding", "chunked"))
    handler.wfile.write(b"1388\r\n" + b"\x1f\x8b" + bytes(4998) + b"\r\n")


def _gz_files(tmp_path: Path) -> dict[str, bytes]:
    """A small MNIST's four files, gzipped as the mirrors serve them."""
    raw = make_fake_mnist(tmp_path / "made")
    return {file.name + ".gz": gzip.compress(file.read_bytes()) for file in sorted(raw.iterdir())}


def _publish(monkeypatch, url: str, served: dict[str, bytes]) -> None:
    """Make `served` MNIST's published files (their MD5s), at `url`."""
    resources = [(file, hashlib.md5(data).hexdigest()) for file, data in served.items()]
    order = ["train-images", "train-labels", "t10k-images", "t10k-labels"]  # the order the files are fetched in
    resources.sort(key=lambda pair: order.index(pair[0].rsplit("-", 2)[0]))
    monkeypatch.setitem(download.SOURCES, "mnist", ([url], resources))


def _everything(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


# --- the watchdog and a slow stream ------------------------------------------------------------------------------


def test_a_steady_slow_stream_is_stopped_as_too_slow_having_been_counted(tmp_path, servers, monkeypatch):
    """2 KB/s in 200-byte writes (under the 4 KB/s minimum): counted as it comes, so the timeout (shorter than
    the rate window) never sees silence, and the rate trips after RATE_WINDOW."""
    monkeypatch.setattr(transfer, "RATE_WINDOW", 1.5)
    url = servers.start(steady(b"\x1f" * 200, 0.1, 1_000_000, servers.stop))
    seen: list[int] = []
    started = time.monotonic()
    with pytest.raises(DownloadError, match="too slow"):
        download.download_dataset("mnist", tmp_path / "data", mirrors=[url], timeout=1.0,
                                  progress=lambda name, done, total: seen.append(done))  # fmt: skip
    assert 1.4 < time.monotonic() - started < 5
    assert len(seen) >= 5 and seen == sorted(seen) and 0 < seen[-1] < 1_000_000  # the progress moved meanwhile
    assert list(tmp_path.iterdir()) == []


def test_one_byte_now_and_then_is_too_slow_not_silence(tmp_path, servers, monkeypatch):
    """A byte every 0.3 s, each within the 1 s timeout: the rate, not the timeout, ends it."""
    monkeypatch.setattr(transfer, "RATE_WINDOW", 2.0)
    url = servers.start(steady(b"\x1f", 0.3, 1_000_000, servers.stop))
    started = time.monotonic()
    with pytest.raises(DownloadError, match="too slow"):
        download.download_dataset("mnist", tmp_path / "data", mirrors=[url], timeout=1.0)
    assert 1.9 < time.monotonic() - started < 6
    assert list(tmp_path.iterdir()) == []


def test_a_silent_server_is_given_up_after_the_timeout_as_no_data(tmp_path, servers, monkeypatch):
    monkeypatch.setattr(transfer, "RATE_WINDOW", 60.0)  # only the timeout can end it

    def silent(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, 1_000_000)
        handler.wfile.write(b"\x1f\x8b")
        handler.wfile.flush()
        servers.stop.wait(30)

    url = servers.start(silent)
    started = time.monotonic()
    with pytest.raises(DownloadError, match="no data for 1 s"):
        download.download_dataset("mnist", tmp_path / "data", mirrors=[url], timeout=1.0)
    assert 0.9 < time.monotonic() - started < 5
    assert list(tmp_path.iterdir()) == []


def test_a_stream_above_the_minimum_rate_is_not_stopped(tmp_path, servers, monkeypatch):
    """20 KB/s (five times the minimum) takes longer than the timeout to fill one 64 KB read: it must finish."""
    monkeypatch.setattr(transfer, "RATE_WINDOW", 1.0)
    url = servers.start(steady(bytes(1000), 0.05, 40_000, servers.stop))
    seen: list[tuple[int, int]] = []
    target = tmp_path / "file.part"
    transfer.fetch(url + "file", target, 100_000, 1.0, time.monotonic() + 60,
                    lambda name, done, total: seen.append((done, total)), None)  # fmt: skip
    assert target.read_bytes() == bytes(40_000)
    assert len(seen) >= 5 and seen[-1] == (40_000, 40_000)


def test_a_fast_download_is_unaffected(tmp_path, servers):
    data = np.random.default_rng(0).integers(0, 256, 8 << 20, dtype=np.uint8).tobytes()
    url = servers.start(files({"big": data}))
    seen: list[tuple[int, int]] = []
    target = tmp_path / "big.part"
    transfer.fetch(url + "big", target, len(data), 5, time.monotonic() + 60,
                    lambda name, done, total: seen.append((done, total)), None)  # fmt: skip
    assert target.read_bytes() == data
    assert seen[-1] == (len(data), len(data)) and len(seen) < 100  # reported, not once per read


# --- nothing left behind ----------------------------------------------------------------------------------------


FAULTS = {
    "not found": (not_found, "HTTP 404"),
    "cut connection": (cut, "ended after 5,000 of 100,000 bytes"),
    "cut chunked response": (cut_chunked, "ended after 5,000 bytes, before its end"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failed_download_removes_every_folder_it_made(tmp_path, servers, fault):
    body, message = FAULTS[fault]
    dead, faulty = servers.start(not_found), servers.start(body)  # a mirror list where every mirror fails
    with pytest.raises(DownloadError, match=message) as raised:
        download.download_dataset("mnist", tmp_path / "new" / "deeper" / "data", mirrors=[dead, faulty], timeout=5)
    assert dead in str(raised.value) and faulty in str(raised.value)
    assert list(tmp_path.iterdir()) == []  # not even tmp_path/new


def test_a_wrong_checksum_removes_every_folder_it_made(tmp_path, servers):
    url = servers.start(files(_gz_files(tmp_path)))  # not the published files
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download.download_dataset("mnist", tmp_path / "new" / "data", mirrors=[url], timeout=5)
    assert not (tmp_path / "new").exists()


def test_a_failed_download_keeps_the_files_present_and_removes_those_it_added(tmp_path, servers, monkeypatch):
    served = _gz_files(tmp_path)
    url = servers.start(files({"train-images-idx3-ubyte.gz": served["train-images-idx3-ubyte.gz"]}))  # then 404
    _publish(monkeypatch, url, served)
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "t10k-labels-idx1-ubyte", np.arange(10) % 10, 0x801)
    with pytest.raises(DownloadError, match="404"):
        download.download_dataset("mnist", tmp_path / "data", timeout=5)
    assert servers.asked == ["/train-images-idx3-ubyte.gz", "/train-labels-idx1-ubyte.gz"]
    assert _everything(tmp_path / "data") == ["MNIST", "MNIST/raw", "MNIST/raw/t10k-labels-idx1-ubyte"]
    # half a set would look downloaded (the training images are there) and then fail to load
    assert not next(info for info in available_datasets(tmp_path / "data") if info.name == "mnist").present


def test_a_download_cancelled_after_its_first_file_leaves_nothing(tmp_path, servers, monkeypatch):
    served = _gz_files(tmp_path)
    _publish(monkeypatch, servers.start(files(served)), served)
    raw = tmp_path / "new" / "data" / "MNIST" / "raw"
    with pytest.raises(DownloadCancelled):
        download.download_dataset("mnist", tmp_path / "new" / "data", timeout=5,
                                  cancelled=lambda: (raw / "train-images-idx3-ubyte").exists())  # fmt: skip
    assert len(servers.asked) == 1 and not (tmp_path / "new").exists()
    # and the same download, not cancelled, completes
    assert download.download_dataset("mnist", tmp_path / "new" / "data", timeout=5) == tmp_path / "new" / "data"


def test_an_archive_cancelled_while_unpacking_leaves_nothing(tmp_path, servers, monkeypatch):
    archive = _emnist_archive(tmp_path)
    url = servers.start(files({"gzip.zip": archive}))
    monkeypatch.setitem(download.SOURCES, "emnist-digits", ([url], [("gzip.zip", hashlib.md5(archive).hexdigest())]))
    raw = tmp_path / "new" / "data" / "EMNIST" / "raw"
    with pytest.raises(DownloadCancelled):  # after the first member is unpacked
        download.download_dataset("emnist-digits", tmp_path / "new" / "data", timeout=5,
                                  cancelled=lambda: any(raw.glob("emnist-*-ubyte")))  # fmt: skip
    assert not (tmp_path / "new").exists()


def test_a_refused_data_folder_is_left_as_it_was(tmp_path, servers):
    url = servers.start(not_found)
    data = tmp_path / "data"
    data.mkdir()
    (data / "MNIST").write_text("not a folder")
    with pytest.raises(DownloadError, match="Cannot create"):
        download.download_dataset("mnist", data, mirrors=[url], timeout=5)
    (tmp_path / "a file").write_text("")
    with pytest.raises(DownloadError, match="Cannot create"):
        download.download_dataset("mnist", tmp_path / "a file" / "data", mirrors=[url], timeout=5)
    (data / "cifar-10-batches-py").write_text("not a folder")
    with pytest.raises(DownloadError, match="cifar-10-batches-py there is a file, not a folder"):
        download.download_dataset("cifar10", data, mirrors=[url], timeout=5)
    assert servers.asked == []  # refused before anything was fetched
    assert _everything(tmp_path) == ["a file", "data", "data/MNIST", "data/cifar-10-batches-py"]
    assert (data / "MNIST").read_text() == "not a folder"


@pytest.mark.parametrize("fault", ["not found", "cut connection", "wrong checksum", "cancelled"])
def test_a_failed_photo_set_download_removes_every_folder_it_made(tmp_path, servers, monkeypatch, fault):
    archive = bytes(5000)
    md5 = "0" * 32 if fault == "wrong checksum" else hashlib.md5(archive).hexdigest()
    published = (("cifar-10-python.tar.gz", md5, len(archive)),)
    monkeypatch.setitem(PHOTO_SETS, "cifar10", replace(PHOTO_SETS["cifar10"], files=published))
    bodies = {"not found": not_found, "cut connection": cut, "cancelled": steady(bytes(100), 0.05, 5000, servers.stop)}
    url = servers.start(bodies.get(fault, files({"cifar-10-python.tar.gz": archive})))
    error = DownloadCancelled if fault == "cancelled" else DownloadError
    with pytest.raises(error):  # cancelled while the file comes in
        download.download_dataset("cifar10", tmp_path / "new" / "data", mirrors=[url], timeout=5,
                                  cancelled=lambda: fault == "cancelled" and bool(servers.asked))  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_leaves_nothing_after_a_failed_download(tmp_path, servers, capsys):
    dead, faulty = servers.start(not_found), servers.start(cut)
    target = tmp_path / "new" / "data"
    code = main(["download", "mnist", "--data-dir", str(target), "--mirror", dead, "--mirror", faulty,
                 "--timeout", "5"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "HTTP 404" in err and "ended after 5,000 of 100,000 bytes" in err
    assert not os.path.lexists(tmp_path / "new")
