"""CIFAR-10, SVHN and STL-10 (issue 27): read by torchvision's classes from files in their published layouts
(small stand-ins made here: tests never download), downloaded with the usual checks from a local server."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from dataclasses import replace

import numpy as np
import pytest
from torchvision import datasets

from aegui.cli import main
from aegui.core.data.catalog import available_datasets, load_dataset
from aegui.core.data.datasets import DataError
from aegui.core.data.photo_sets import PHOTO_SETS
from aegui.core.files import download
from tests.test_data import local_mirror  # noqa: F401 (a fixture)

RNG = np.random.default_rng(0)


@pytest.fixture
def trusting(monkeypatch):
    """torchvision checks each file against the published MD5: the stand-ins made here are not those files."""
    monkeypatch.setattr("torchvision.datasets.cifar.check_integrity", lambda *args, **kwargs: True)
    for dataset_class in (datasets.CIFAR10, datasets.SVHN, datasets.STL10):
        monkeypatch.setattr(dataset_class, "_check_integrity", lambda self: True)


def cifar_files(root, per_batch: int = 4) -> None:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{index}" for index in range(1, 6)] + ["test_batch"]:
        data = RNG.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = [int(label) for label in RNG.permutation(10)[:per_batch]] if name != "data_batch_1" else \
            list(range(per_batch))  # fmt: skip
        (folder / name).write_bytes(pickle.dumps({"data": data, "labels": labels}))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": list(PHOTO_SETS["cifar10"].classes)}))


def test_cifar10_loads_in_colour_at_its_size_and_at_another(tmp_path, trusting):
    cifar_files(tmp_path, per_batch=10)
    dataset = load_dataset("cifar10", tmp_path)
    assert dataset.image_shape == (3, 32, 32) and len(dataset.train_images) == 50 and len(dataset.test_images) == 10
    assert dataset.classes[0] == "airplane" and dataset.title == "CIFAR-10"
    raw = pickle.loads((tmp_path / "cifar-10-batches-py" / "data_batch_1").read_bytes())["data"]
    assert np.array_equal(dataset.train_images[0].numpy().reshape(-1), raw[0])  # channels first, as stored
    assert load_dataset("cifar10", tmp_path, size=16).image_shape == (3, 16, 16)
    assert next(info for info in available_datasets(tmp_path) if info.name == "cifar10").present


def test_svhn_and_stl10_load_from_their_published_formats(tmp_path, trusting):
    from scipy.io import savemat

    (tmp_path / "SVHN").mkdir()
    for split, count in (("train", 20), ("test", 5)):
        labels = (np.arange(count) % 10 + 1).reshape(-1, 1)  # SVHN counts 1..10, 10 for a zero
        savemat(tmp_path / "SVHN" / f"{split}_32x32.mat", {"X": RNG.integers(0, 256, (32, 32, 3, count), np.uint8),
                                                           "y": labels})  # fmt: skip
    svhn = load_dataset("svhn", tmp_path)
    assert svhn.image_shape == (3, 32, 32) and sorted(set(svhn.train_labels.tolist())) == list(range(10))
    stl = tmp_path / "stl10_binary"
    stl.mkdir()
    for split, count in (("train", 10), ("test", 3)):
        RNG.integers(0, 256, count * 3 * 96 * 96, dtype=np.uint8).tofile(stl / f"{split}_X.bin")
        (np.arange(count) % 10 + 1).astype(np.uint8).tofile(stl / f"{split}_y.bin")
    dataset = load_dataset("stl10", tmp_path)
    assert dataset.image_shape == (3, 64, 64) and dataset.reading.words() == ("--size", "64")  # made 64x64
    assert load_dataset("stl10", tmp_path, size=32).image_shape == (3, 32, 32)


def test_missing_or_damaged_photo_sets_say_how_to_get_them(tmp_path):
    with pytest.raises(DataError, match="aegui download cifar10"):
        load_dataset("cifar10", tmp_path)
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match=r"cannot be read \(missing or damaged files\)\. Run `aegui download cifar10`"):
        load_dataset("cifar10", tmp_path)


def _cifar_archive(tmp_path) -> bytes:
    source = tmp_path / "source"
    cifar_files(source)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return buffer.getvalue()


def test_a_photo_set_downloads_checked_and_unpacked_with_nothing_partial(tmp_path, local_mirror, trusting,  # noqa: F811
                                                                          monkeypatch):  # fmt: skip
    served, url = local_mirror
    data = _cifar_archive(tmp_path)
    (served / "cifar-10-python.tar.gz").write_bytes(data)
    spec = PHOTO_SETS["cifar10"]
    published = replace(spec, files=(("cifar-10-python.tar.gz", hashlib.md5(data).hexdigest(), len(data)),))
    monkeypatch.setitem(PHOTO_SETS, "cifar10", published)
    target = tmp_path / "data"
    assert download.download_dataset("cifar10", target, mirrors=[url], timeout=5) == target
    assert load_dataset("cifar10", target).summary == "CIFAR-10 20 / 4"
    assert sorted(path.name for path in target.iterdir()) == ["cifar-10-batches-py"]  # no archive, no .part
    # a damaged download: refused, and nothing is left
    monkeypatch.setitem(PHOTO_SETS, "cifar10", replace(published, files=(("cifar-10-python.tar.gz", "0" * 32,
                                                                           len(data)),)))  # fmt: skip
    other = tmp_path / "other"
    with pytest.raises(download.DownloadError, match="checksum mismatch"):
        download.download_dataset("cifar10", other, mirrors=[url], timeout=5)
    assert not other.exists()
    # an archive that reaches outside its folder is refused
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as archive:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    (served / "cifar-10-python.tar.gz").write_bytes(evil.getvalue())
    monkeypatch.setitem(PHOTO_SETS, "cifar10", replace(published, files=(("cifar-10-python.tar.gz", hashlib.md5(
        evil.getvalue()).hexdigest(), len(evil.getvalue())),)))  # fmt: skip
    with pytest.raises(download.DownloadError, match="outside"):
        download.download_dataset("cifar10", other, mirrors=[url], timeout=5)
    assert not (tmp_path / "escape.txt").exists() and not other.exists()


def test_the_command_line_lists_and_trains_on_a_photo_set(tmp_path, trusting, capsys):
    cifar_files(tmp_path / "data")
    assert main(["datasets", "--data-dir", str(tmp_path / "data")]) == 0
    listing = capsys.readouterr().out
    assert "small colour photos" in listing and "aegui download svhn" in listing and "stl10" in listing
    data = str(tmp_path / "data")
    code = main(["train", "--dataset", "cifar10", "--data-dir", data, "--preset", "photos", "--epochs", "1", "--save",
                 str(tmp_path / "c.aegui.pt"), "--print-command"])  # fmt: skip
    assert code == 0 and "--dataset cifar10 --size 32" in capsys.readouterr().out
