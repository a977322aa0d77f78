import contextlib
import gzip
import io
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch

from aegui.cli import main
from aegui.core.data.catalog import available_datasets, load_dataset
from aegui.core.data.datasets import TORCHVISION_DATA, DataError, load_sample
from aegui.core.files import download, transfer
from aegui.core.files.download import DownloadError
from tests.conftest import MNIST_ROOT, needs_mnist


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def make_fake_mnist(root: Path, train: int = 30, test: int = 10) -> Path:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, count in (("train", train), ("t10k", test)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (count, 28, 28)), 0x803)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(count) % 10, 0x801)  # every class
    return raw


def test_sample_is_shuffled_split_and_real(sample):
    assert sample.summary == "Embedded sample 4,000 / 1,000"
    assert sample.train_images.dtype == torch.uint8 and sample.train_images.shape == (4000, 28, 28)
    # shuffled: every digit in both splits
    assert set(sample.test_labels.tolist()) == set(range(10))
    assert set(sample.train_labels[:200].tolist()) == set(range(10))
    # real digits: mostly black background, bright strokes
    assert 0.08 < sample.train_images.float().mean().item() / 255 < 0.2
    assert "aegui download mnist" in sample.describe()


@needs_mnist
def test_the_shipped_sample_is_5000_of_mnists_own_digits(sample):
    """The embedded digits are MNIST's (the sample's pixels are found among MNIST's training or test set)."""
    mnist = load_dataset("mnist", MNIST_ROOT)
    known = {bytes(image) for image in mnist.train_images.numpy().reshape(-1, 784)}
    known |= {bytes(image) for image in mnist.test_images.numpy().reshape(-1, 784)}
    shipped = np.concatenate([sample.train_images.numpy(), sample.test_images.numpy()]).reshape(-1, 784)
    assert sum(bytes(image) in known for image in shipped) == 5000


@pytest.mark.parametrize("damage", ["missing", "not a zip", "other digits"])
def test_a_damaged_or_missing_sample_says_to_reinstall(tmp_path, monkeypatch, damage):
    import aegui.resources

    copy = tmp_path / "mnist_5k.npz"
    original = Path(aegui.resources.__file__).parent / "mnist_5k.npz"
    if damage == "not a zip":
        copy.write_bytes(b"not a zip file at all")
    elif damage == "other digits":
        with np.load(original) as stored:
            np.savez(copy, images=np.zeros_like(stored["images"]), labels=stored["labels"])
    monkeypatch.setattr(aegui.resources, "FOLDER", tmp_path)
    with pytest.raises(DataError, match="Reinstall aegui"):
        load_sample()


def test_an_old_processed_cache_beside_the_raw_files_is_not_used(tmp_path):
    raw = make_fake_mnist(tmp_path, train=60, test=20)
    processed = raw.parent / "processed"
    processed.mkdir()
    fake = (torch.zeros(3, 32, 32, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64))
    for name in ("training.pt", "test.pt"):
        torch.save(fake, processed / name)
    dataset = load_dataset("mnist", tmp_path)
    assert dataset.train_images.shape == (60, 28, 28) and dataset.test_images.shape == (20, 28, 28)


@pytest.mark.parametrize(
    ("labels", "message"),
    [(lambda n: np.full(n, 12), "the label 12"), (lambda n: np.arange(n) % 3, "only 3 of the 10 classes")],
)
def test_labels_out_of_range_or_too_few_classes_are_refused(tmp_path, labels, message):
    raw = make_fake_mnist(tmp_path, train=60, test=20)
    write_idx(raw / "train-labels-idx1-ubyte", labels(60), 0x801)
    with pytest.raises(DataError, match=message):
        load_dataset("mnist", tmp_path)


def test_auto_falls_back_to_sample_with_empty_folder(tmp_path):
    assert load_dataset("auto", tmp_path / "nothing-here").name == "sample"


def test_unknown_dataset_name():
    with pytest.raises(DataError, match="Unknown dataset"):
        load_dataset("cifar")


def test_loads_mnist_layouts(tmp_path):
    raw = make_fake_mnist(tmp_path)
    for folder in (tmp_path, tmp_path / "MNIST", raw):
        loaded = load_dataset("mnist", folder)
        assert loaded.summary == "MNIST 30 / 10"
        assert loaded.train_images.dtype == torch.uint8


def test_missing_mnist_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="aegui download mnist"):
        load_dataset("mnist", tmp_path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: (raw / "t10k-labels-idx1-ubyte").unlink(), "lacks the test file"),
        (lambda raw: (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00"), "truncated"),
        (
            lambda raw: (raw / "train-images-idx3-ubyte").write_bytes(
                (raw / "train-images-idx3-ubyte").read_bytes()[:-100]
            ),
            "truncated",
        ),
        (lambda raw: (raw / "train-images-idx3-ubyte").write_bytes(gzip.compress(b"x" * 100)), "magic number"),
        (
            lambda raw: write_idx(raw / "train-labels-idx1-ubyte", np.zeros(29), 0x801),
            "30 train images but 29 labels",
        ),
        (
            lambda raw: write_idx(raw / "train-images-idx3-ubyte", np.zeros((30, 32, 32)), 0x803),
            "32x32 images",
        ),
    ],
)
def test_bad_idx_files_give_clear_errors(tmp_path, damage, message):
    raw = make_fake_mnist(tmp_path)
    damage(raw)
    with pytest.raises(DataError, match=message):
        load_dataset("mnist", tmp_path)


@needs_mnist
def test_full_mnist_from_shared():
    mnist = load_dataset("mnist", MNIST_ROOT)
    assert mnist.summary == "MNIST 60,000 / 10,000"
    assert abs(mnist.train_images.float().mean().item() / 255 - 0.1307) < 1e-3


# --- downloading, from a local server only -----------------------------------------------------


@pytest.fixture
def local_mirror(tmp_path):
    """Serves gzip-compressed copies of small IDX files on 127.0.0.1."""
    served = tmp_path / "served"
    served.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve_gzipped_mnist(folder: Path) -> None:
    for file in (MNIST_ROOT / "MNIST" / "raw").iterdir():
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1) as out:
            out.write(file.read_bytes())
        (folder / (file.name + ".gz")).write_bytes(buffer.getvalue())


STALLED_REQUESTS: list[str] = []  # what the stalling mirror was asked for


@pytest.fixture
def stalling_mirror():
    """A server that promises a large file, sends a little, then goes quiet."""
    release = threading.Event()
    STALLED_REQUESTS.clear()

    class Stalling(QuietHandler):
        def do_GET(self) -> None:
            STALLED_REQUESTS.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"\x00" * 1000)
            self.wfile.flush()
            release.wait(10)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stalling)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    release.set()
    server.shutdown()
    server.server_close()
    thread.join()


def test_download_times_out_and_leaves_nothing(tmp_path, stalling_mirror):
    # (without the timeout the server's data would end after 10 s: "ended after …", not "timed out")
    with pytest.raises(DownloadError, match="timed out"):
        download.download_dataset("mnist", tmp_path, mirrors=[stalling_mirror], timeout=1)
    assert list(tmp_path.iterdir()) == []  # nothing partial, no empty folders


def test_download_can_be_cancelled(tmp_path, local_mirror):
    served, url = local_mirror
    (served / "train-images-idx3-ubyte.gz").write_bytes(b"x" * 500_000)
    with pytest.raises(download.DownloadCancelled):
        download.download_dataset("mnist", tmp_path, mirrors=[url], timeout=5, cancelled=lambda: True)
    assert not (tmp_path / "MNIST").exists()


def test_download_rejects_checksum_mismatch_and_leaves_nothing(tmp_path, local_mirror):
    served, url = local_mirror
    raw = make_fake_mnist(tmp_path / "fake")
    for file in raw.iterdir():
        (served / (file.name + ".gz")).write_bytes(gzip.compress(file.read_bytes()))
    target = tmp_path / "data"
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download.download_dataset("mnist", target, mirrors=[url], timeout=5)
    assert not target.exists()


def _serve(handler_body):
    """A local server whose GET handler is `handler_body(handler)`; yields its URL."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            handler_body(self)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture
def serve():
    started = []

    def start(handler_body):
        started.append(_serve(handler_body))
        return started[-1][2]

    yield start
    for server, thread, _ in started:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_server_that_trickles_is_given_up(tmp_path, serve, monkeypatch):
    """One byte at a time never trips the per-read timeout; the minimum transfer rate does."""
    monkeypatch.setattr(transfer, "RATE_WINDOW", 1.0)
    gone = threading.Event()

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", "20000")
        handler.end_headers()
        with contextlib.suppress(OSError):
            while not gone.wait(0.1):
                handler.wfile.write(b"\x00")
                handler.wfile.flush()

    url = serve(trickle)
    with pytest.raises(DownloadError, match="too slow"):
        download.download_dataset("mnist", tmp_path, mirrors=[url], timeout=10)
    gone.set()
    assert list(tmp_path.iterdir()) == []


def test_an_endless_response_is_cut_at_the_published_size(tmp_path, serve):
    def endless(handler):
        handler.send_response(200)
        handler.end_headers()  # no length given
        with contextlib.suppress(OSError):
            for _ in range(100_000):
                handler.wfile.write(b"\x00" * 65536)

    url = serve(endless)
    with pytest.raises(DownloadError, match="sent more than"):
        download.download_dataset("mnist", tmp_path, mirrors=[url], timeout=10)
    assert list(tmp_path.iterdir()) == []


def test_a_small_file_that_unpacks_to_gigabytes_is_refused(tmp_path, local_mirror):
    served, url = local_mirror
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb") as out:
        for _ in range(64):
            out.write(bytes(1 << 20))  # 64 MB of zeros: 64 KB compressed
    (served / "train-images-idx3-ubyte.gz").write_bytes(bomb.getvalue())
    target = tmp_path / "data"
    with pytest.raises(DownloadError, match="unpacks to more than the published"):
        download.download_dataset("mnist", target, mirrors=[url], timeout=10)
    assert not target.exists()


def test_cancel_ends_a_download_stuck_in_a_read_at_once(tmp_path, serve):
    release, sent = threading.Event(), threading.Event()

    def silent(handler):  # sends the start of the file, then nothing until the test is over
        handler.send_response(200)
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        handler.wfile.write(b"\x1f\x8b")
        handler.wfile.flush()
        sent.set()
        release.wait(120)

    def cancelled() -> bool:  # asked for once the server has gone silent, and only by the watchdog, which the
        return sent.is_set() and threading.current_thread() is not reader  # reading thread cannot ask meanwhile

    url, reader = serve(silent), threading.current_thread()
    try:  # without the watchdog the read would wait for its 60 s timeout and end "timed out", not cancelled
        with pytest.raises(download.DownloadCancelled):
            download.download_dataset("mnist", tmp_path, mirrors=[url], timeout=60, cancelled=cancelled)
    finally:
        release.set()
    assert list(tmp_path.iterdir()) == []


def test_download_reports_unreachable_server(tmp_path, local_mirror):
    _, url = local_mirror
    with pytest.raises(DownloadError, match="404"):
        download.download_dataset("mnist", tmp_path, mirrors=[url], timeout=5)


@needs_mnist
def test_retry_after_a_failed_download_works(tmp_path, local_mirror, stalling_mirror):
    served, url = local_mirror
    with pytest.raises(DownloadError):
        download.download_dataset("mnist", tmp_path, mirrors=[stalling_mirror], timeout=1)
    serve_gzipped_mnist(served)
    STALLED_REQUESTS.clear()
    root = download.download_dataset("mnist", tmp_path, mirrors=[stalling_mirror, url], timeout=1)
    assert load_dataset("mnist", root).summary == "MNIST 60,000 / 10,000"
    # the stalling mirror is tried for the first file only, not once per file (four timeouts)
    assert STALLED_REQUESTS == ["/train-images-idx3-ubyte.gz"]


@needs_mnist
def test_download_of_real_files_from_local_mirror(tmp_path, local_mirror):
    served, url = local_mirror
    serve_gzipped_mnist(served)
    seen = []
    root = download.download_dataset(
        "mnist", tmp_path, mirrors=[url], timeout=5, progress=lambda name, done, total: seen.append(name)
    )
    assert load_dataset("mnist", root).summary == "MNIST 60,000 / 10,000"
    assert set(seen) == {f.name + ".gz" for f in (MNIST_ROOT / "MNIST" / "raw").iterdir()}
    assert not list((tmp_path / "MNIST" / "raw").glob("*.part"))


def test_download_sources_are_torchvisions():
    from torchvision import datasets

    for name, dataset_class in (("mnist", datasets.MNIST), ("fashion-mnist", datasets.FashionMNIST)):
        assert download.download_sources(name) == (list(dataset_class.mirrors), list(dataset_class.resources))


# --- torchvision's other 28x28 datasets ---------------------------------------------------------


def write_int_table(path: Path, table: np.ndarray) -> None:
    """QMNIST's labels: big-endian int32, 2 dimensions."""
    header = (0xC02).to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in table.shape)
    path.write_bytes(header + table.astype(">i4").tobytes())


def make_fake(root: Path, name: str, train: int = 60, test: int = 20) -> Path:
    """Small files in the dataset's torchvision layout; every class in the training labels."""
    spec = TORCHVISION_DATA[name]
    raw = root / spec.folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for split, count in (("train", train), ("test", test)):
        images_file, labels_file = spec.files[split]
        write_idx(raw / images_file, rng.integers(0, 256, (count, 28, 28)), 0x803)
        labels = np.arange(count) % len(spec.classes) + spec.first_label
        if "idx2-int" in labels_file:
            write_int_table(raw / labels_file, np.column_stack([labels] + [np.zeros(count)] * 7))
        else:
            write_idx(raw / labels_file, labels, 0x801)
    return raw


@pytest.mark.parametrize("name", ["kmnist", "qmnist", "emnist-digits", "emnist-letters", "emnist-balanced"])
def test_other_torchvision_datasets_load_with_their_class_names(tmp_path, name):
    spec = TORCHVISION_DATA[name]
    raw = make_fake(tmp_path, name, train=2 * len(spec.classes))
    dataset = load_dataset(name, tmp_path)
    assert dataset.title == spec.title and dataset.classes == spec.classes
    assert dataset.train_labels.min() == 0 and dataset.train_labels.max() == len(spec.classes) - 1
    images_file = spec.files["train"][0]
    with (raw / images_file).open("rb") as handle:
        stored = np.frombuffer(handle.read()[16:], np.uint8).reshape(-1, 28, 28)
    # EMNIST keeps its images transposed: they are turned upright
    expected = stored.transpose(0, 2, 1) if spec.transposed else stored
    assert np.array_equal(dataset.train_images.numpy(), expected)


def test_emnist_balanced_has_47_classes_and_letters_26():
    assert len(TORCHVISION_DATA["emnist-balanced"].classes) == 47
    assert (
        TORCHVISION_DATA["emnist-letters"].classes[0] == "a" and len(TORCHVISION_DATA["emnist-letters"].classes) == 26
    )
    from torchvision.datasets import EMNIST

    assert list(TORCHVISION_DATA["emnist-balanced"].classes) == EMNIST.classes_split_dict["balanced"]


def test_qmnist_uses_the_10000_test_digits_that_match_mnists(tmp_path):
    make_fake(tmp_path, "qmnist", train=40, test=10_050)
    assert len(load_dataset("qmnist", tmp_path).test_images) == 10_000


def test_labels_out_of_range_are_refused_as_for_mnist(tmp_path):
    raw = make_fake(tmp_path, "emnist-letters", train=52)
    write_idx(raw / "emnist-letters-train-labels-idx1-ubyte", np.zeros(52), 0x801)  # 0 is below the first letter
    with pytest.raises(DataError, match="below the first class"):
        load_dataset("emnist-letters", tmp_path)


def test_available_datasets_say_which_are_here_and_how_to_get_the_rest(tmp_path, capsys):
    make_fake(tmp_path, "kmnist")
    found = {info.name: info for info in available_datasets(tmp_path)}
    assert found["kmnist"].present and not found["mnist"].present and found["sample"].present
    assert "aegui download emnist-letters" in found["emnist-letters"].where
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "here  kmnist" in out and "aegui download qmnist" in out and "--images" in out


def test_download_sources_of_the_other_datasets_are_torchvisions():
    from torchvision import datasets

    assert download.download_sources("kmnist") == (list(datasets.KMNIST.mirrors), list(datasets.KMNIST.resources))
    mirrors, files = download.download_sources("qmnist")
    published = datasets.QMNIST.resources["train"] + datasets.QMNIST.resources["test"]
    assert [(mirrors[0] + name, md5) for name, md5 in files] == published
    assert download.download_sources("emnist-letters") == ([datasets.EMNIST.url.rsplit("/", 1)[0] + "/"],
                                                            [("gzip.zip", datasets.EMNIST.md5)])  # fmt: skip


def _emnist_archive(tmp_path: Path) -> bytes:
    """A small stand-in for EMNIST's gzip.zip: every supported split's files, gzipped, under gzip/."""
    import zipfile

    made = tmp_path / "made"
    buffer = io.BytesIO()
    for name in ("emnist-digits", "emnist-letters", "emnist-balanced"):
        raw = make_fake(made, name, train=2 * len(TORCHVISION_DATA[name].classes))
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in raw.iterdir():
            archive.writestr(f"gzip/{file.name}.gz", gzip.compress(file.read_bytes(), compresslevel=1))
    return buffer.getvalue()


def test_emnist_downloads_as_one_archive_for_all_its_splits(tmp_path, local_mirror, monkeypatch):
    served, url = local_mirror
    archive = _emnist_archive(tmp_path)
    (served / "gzip.zip").write_bytes(archive)
    import hashlib

    source = ([url], [("gzip.zip", hashlib.md5(archive).hexdigest())])
    for name in ("emnist-digits", "emnist-letters", "emnist-balanced"):
        monkeypatch.setitem(download.SOURCES, name, source)
    target = tmp_path / "data"
    root = download.download_dataset("emnist-letters", target, timeout=5)
    assert load_dataset("emnist-letters", root).classes[0] == "a"
    assert load_dataset("emnist-balanced", root).title == "EMNIST balanced"  # unpacked from the same archive
    raw = target / "EMNIST" / "raw"
    assert not list(raw.glob("*.part")) and not list(raw.glob("*.zip*"))
    (served / "gzip.zip").unlink()  # a second split needs no second download
    assert download.download_dataset("emnist-digits", target, timeout=5) == target


def test_an_emnist_archive_with_the_wrong_checksum_leaves_nothing(tmp_path, local_mirror, monkeypatch):
    served, url = local_mirror
    (served / "gzip.zip").write_bytes(_emnist_archive(tmp_path))
    monkeypatch.setitem(download.SOURCES, "emnist-digits", ([url], [("gzip.zip", "0" * 32)]))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download.download_dataset("emnist-digits", tmp_path / "data", timeout=5)
    assert not (tmp_path / "data").exists()
