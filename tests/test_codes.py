"""A model's codes as data: one order for a collection, written as CSV or .npy, searched for neighbours and
near-duplicates, and weighed against PCA and pixels by k-nearest-neighbour accuracy."""

import csv
import sys

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import aegui
from aegui.core.analysis.code_worth import code_worth, knn_accuracy, knn_predict
from aegui.core.analysis.codes import check_codes_output, collection, encode_images, write_codes
from aegui.core.analysis.duplicates import find_duplicates
from aegui.core.analysis.neighbours import CodeIndex
from aegui.core.errors import AeguiError
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import TrainConfig, Trainer

SMALL = ModelConfig(hidden_sizes=(64,), code_size=8, activation="relu")


@pytest.fixture(scope="module")
def digits_model(small_sample):
    model = build_model(SMALL, seed=0)
    Trainer(model, small_sample, TrainConfig(epochs=2, batch_size=100, lr=3e-3, optimizer="adam", loss="bce",
                                             schedule="onecycle")).run()  # fmt: skip
    return model.eval()


def photo(seed: int, size=(48, 40)) -> Image.Image:
    """A made-up colour photo: a gradient and a few shapes, different for every seed."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size[0])[None, :, None] * rng.uniform(0, 255, 3) + rng.uniform(0, 80, 3)
    image = Image.fromarray(np.clip(np.repeat(ramp, size[1], 0), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        x, y = rng.integers(0, size[0] - 8), rng.integers(0, size[1] - 8)
        box = (x, y, x + rng.integers(6, size[0] // 2), y + rng.integers(6, size[1] // 2))
        draw.ellipse(box, fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return image


def test_a_collection_is_in_file_order_with_labels_only_where_known(tmp_path):
    for name in ("b", "a", "c"):
        (tmp_path / "flat").mkdir(exist_ok=True)
        for i in range(5):
            photo(ord(name) * 10 + i).save(tmp_path / "flat" / f"{name}{i}.png")
    dataset, _report = aegui.load_image_folder(tmp_path / "flat", size=16, color="rgb")
    found = collection(dataset)
    assert list(found.names) == sorted(found.names) and len(found.names) == 15
    assert not found.labelled and found.label_name(0) == ""
    train, test = found.by_split(np.arange(15))
    assert [found.names[i] for i in train] == list(dataset.train_files)
    assert [found.names[i] for i in test] == list(dataset.test_files)
    assert torch.equal(found.images[train[0]], dataset.train_images[0])


def test_a_dataset_collection_names_split_and_index(small_sample):
    found = collection(small_sample)
    assert found.names[0] == "train #0" and found.names[-1] == "test #199" and found.labelled
    assert found.label_name(0) == small_sample.classes[int(small_sample.train_labels[0])]


def test_a_collection_is_made_once_per_dataset_and_let_go_with_it(small_sample):
    """Encoding for new weights asks for it again and again; a dataset dropped takes its collection along."""
    import gc

    from aegui.core.analysis import codes

    assert collection(small_sample) is collection(small_sample)
    other = small_sample.subset(100, 20)
    assert collection(other) is not collection(small_sample) and len(collection(other).names) == 120
    kept = len(codes._collections)
    del other
    gc.collect()
    assert len(codes._collections) == kept - 1


def test_csv_and_npy_hold_the_same_codes_and_names_are_safe(tmp_path, digits_model, small_sample):
    encoded = encode_images(digits_model, small_sample.subset(30, 10))
    assert encoded.codes.shape == (40, 8) and encoded.codes.dtype == np.float32
    assert np.allclose(encoded.codes[:30], digits_model.encode(small_sample.train_images[:30].numpy() / 255.0),
                       atol=1e-5)  # fmt: skip
    names = ("=SUM(A1)", "plain.png", *encoded.names[2:])
    labels = ["@x", *(encoded.label_name(i) for i in range(1, 40))]
    blocks = [encoded.codes[:7], encoded.codes[7:]]
    write_codes(tmp_path / "c.csv", names, labels, blocks, 8)
    write_codes(tmp_path / "c.npy", names, labels, blocks, 8)
    with open(tmp_path / "c.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["file", "label", *(f"code_{i}" for i in range(8))] and len(rows) == 41
    assert rows[1][:2] == ["'=SUM(A1)", "'@x"] and rows[2][0] == "plain.png"
    from_csv = np.array([[float(v) for v in row[2:]] for row in rows[1:]], np.float32)
    assert np.array_equal(from_csv, encoded.codes) and np.array_equal(np.load(tmp_path / "c.npy"), encoded.codes)
    with pytest.raises(AeguiError, match="2 codes were given"):
        write_codes(tmp_path / "short.csv", names, labels, [encoded.codes[:2]], 8)
    assert not (tmp_path / "short.csv").exists()


def test_outputs_other_than_csv_npy_parquet_are_refused_and_parquet_needs_pyarrow(tmp_path, monkeypatch):
    with pytest.raises(AeguiError, match=r"\.csv, \.npy or \.parquet"):
        check_codes_output(tmp_path / "codes.txt")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # (as where it is not installed)
    with pytest.raises(AeguiError, match="pip install pyarrow"):
        check_codes_output(tmp_path / "codes.parquet")


def test_the_api_encodes_a_folder_a_dataset_and_an_array(tmp_path, digits_model, small_sample):
    folder = tmp_path / "digits"
    for digit in ("3", "7"):
        (folder / digit).mkdir(parents=True)
        for i in range(6):
            image = small_sample.train_images[int(torch.nonzero(small_sample.train_labels == int(digit))[i])]
            Image.fromarray(image.numpy()).save(folder / digit / f"{i}.png")
    encoded = aegui.encode_images(digits_model, folder)
    assert encoded.codes.shape == (12, 8) and encoded.names[0] == "3/0.png"
    assert [encoded.label_name(i) for i in (0, 11)] == ["3", "7"]
    plain = aegui.encode_images(digits_model, small_sample.test_images[:5])
    assert plain.codes.shape == (5, 8) and plain.names[0] == "#0" and plain.label_name(0) == ""


def test_the_index_finds_what_brute_force_finds():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((300, 12)).astype(np.float32)
    index = CodeIndex(codes)
    queries = rng.standard_normal((7, 12)).astype(np.float32)
    distances, indices = index.search(queries, 5)
    exact = np.sqrt(((queries[:, None, :] - codes[None]) ** 2).sum(-1))
    assert np.array_equal(indices, np.argsort(exact, 1)[:, :5])
    assert np.allclose(distances, np.sort(exact, 1)[:, :5], atol=1e-5)
    own, found = index.neighbours(3)
    assert not (found == np.arange(300)[:, None]).any() and (np.diff(own, axis=1) >= 0).all()
    assert index.search(codes[:2], 1000, np.arange(2))[1].shape == (2, 299)
    assert index.neighbours(1000)[0].shape == (300, 299)


def test_a_large_collection_finds_nearly_every_nearest_other_among_cells(monkeypatch):
    import aegui.core.analysis.neighbours as neighbours

    rng = np.random.default_rng(2)  # codes as a model's are: clustered, most of their spread in a few directions
    spread = 1 / (1 + np.arange(64) / 4)
    centres = rng.standard_normal((40, 64)) * 3 * spread
    codes = (centres[rng.integers(0, 40, 3000)] + rng.standard_normal((3000, 64)) * spread).astype(np.float32)
    exact = CodeIndex(codes).neighbours(5)
    monkeypatch.setattr(neighbours, "EXACT_UP_TO", 1000)
    distances, indices = CodeIndex(codes).neighbours(5)
    recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(exact[1], indices, strict=True)])
    assert recall > 0.95 and (distances >= exact[0] - 1e-4).all() and (np.diff(distances, axis=1) >= 0).all()
    assert not (indices == np.arange(3000)[:, None]).any()


def test_duplicates_are_pairs_far_nearer_than_usual_grouped():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((200, 32)).astype(np.float32)
    assert len(find_duplicates(features)) == 0  # no copies: nothing listed
    copies = features[[3, 50, 50]] + 0.02 * rng.standard_normal((3, 32)).astype(np.float32)
    found = find_duplicates(np.concatenate([features, copies]))
    assert {(int(a), int(b)) for a, b in zip(found.first, found.second, strict=True)} >= {(3, 200), (50, 201),
                                                                                          (50, 202)}  # fmt: skip
    assert found.group_count == 2 and sorted(map(sorted, (found.members(1), found.members(2)))) == [
        [3, 200], [50, 201, 202]]  # fmt: skip
    assert (found.relative <= found.ratio).all() and (found.distances < 0.3).all()
    other = rng.standard_normal((203, 32)).astype(np.float32)  # a second description that disagrees on one pair
    other[[50, 201, 202]] = other[50] + 0.01 * rng.standard_normal((3, 32)).astype(np.float32)
    agreed = find_duplicates([np.concatenate([features, copies]), other])
    assert {(int(a), int(b)) for a, b in zip(agreed.first, agreed.second, strict=True)} == {(50, 201), (50, 202),
                                                                                            (201, 202)}  # fmt: skip


def test_knn_accuracy_and_what_codes_are_worth(digits_model, small_sample):
    features = np.array([[0.0], [0.1], [1.0], [1.1]])
    assert knn_accuracy(features, np.array([0, 0, 1, 1]), np.array([[0.05], [1.05]]), np.array([0, 1]), k=1) == 1.0
    # one vote for the maps' scores and the codes' worth: a tie goes to the nearer neighbour, not the smaller label
    train, labels = np.array([[0.0], [-1.0], [3.0]]), np.array([5, 2, 2])
    assert knn_predict(train, labels, np.array([[0.2]]), k=2).tolist() == [5]
    assert knn_predict(train, labels, train, k=1, own_rows=np.arange(3)).tolist() == [2, 5, 5]  # never itself
    worth = code_worth(digits_model, small_sample)
    assert worth is not None and worth.train == 1000 and worth.test == 200
    assert 0.5 < worth.pixels <= 1 and 0.3 < worth.pca <= 1 and 0.1 < worth.codes <= 1 and worth.components == 8
    assert "PCA (8 components)" in worth.describe() and "raw pixels (784 values)" in worth.describe()
