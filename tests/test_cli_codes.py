"""`aegui encode`, `aegui similar` and `aegui duplicates` on a folder of made-up photos with planted copies:
rows per image, the nearest images, the copies found, and outputs that would replace an input refused."""

import csv

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aegui.cli import main
from aegui.core.data.images import load_image_folder
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import TrainConfig, Trainer

CONV = ModelConfig(kind="conv", channels=(8, 16), hidden_sizes=(), code_size=16, activation="silu",
                   image_shape=(3, 32, 32))  # fmt: skip


def picture(seed: int, size: tuple[int, int] = (72, 54)) -> Image.Image:
    """A made-up photo, different for every seed: a two-way colour gradient under a few filled shapes."""
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.linspace(0, 1, size[0]), np.linspace(0, 1, size[1]))
    corners = rng.uniform(0, 255, (3, 3))
    pixels = corners[0] + x[..., None] * (corners[1] - corners[0]) + y[..., None] * (corners[2] - corners[0]) / 2
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        left, top = int(rng.integers(-10, size[0] - 10)), int(rng.integers(-10, size[1] - 10))
        box = (left, top, left + int(rng.integers(8, size[0] // 2)), top + int(rng.integers(8, size[1] // 2)))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.uniform() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """(a folder of 36 photos in two class folders and 3 planted copies, the model file, the copies' pairs)."""
    root = tmp_path_factory.mktemp("codes")
    folder = root / "photos"
    for index in range(36):
        kind = "china" if index < 18 else "flower"
        (folder / kind).mkdir(parents=True, exist_ok=True)
        picture(index).save(folder / kind / f"p{index:02d}.jpg", quality=95)
    original = [Image.open(folder / kind / f"p{index:02d}.jpg") for kind, index in (("china", 3), ("china", 5),
                                                                                    ("flower", 24))]  # fmt: skip
    width, height = original[0].size
    original[0].save(folder / "china" / "copy-jpeg.jpg", quality=40)  # re-encoded
    original[1].resize((width // 2, height // 2)).save(folder / "china" / "copy-small.png")  # resized
    original[2].crop((2, 2, width - 3, height - 2)).save(folder / "flower" / "copy-crop.jpg", quality=90)  # cropped
    dataset, _report = load_image_folder(folder, size=32, color="rgb")
    model = build_model(CONV, seed=0)
    Trainer(model, dataset, TrainConfig(epochs=6, batch_size=8, lr=3e-3, optimizer="adam", loss="mse",
                                        precision="fp32")).run()  # fmt: skip
    path = save_checkpoint(root / "m.aegui.pt", model)
    planted = {("china/copy-jpeg.jpg", "china/p03.jpg"), ("china/copy-small.png", "china/p05.jpg"),
               ("flower/copy-crop.jpg", "flower/p24.jpg")}  # fmt: skip
    return folder, path, planted


def rows(path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_encode_writes_one_row_per_image_and_what_the_codes_are_worth(collection, tmp_path, capsys):
    folder, model, _planted = collection
    assert main(["encode", str(model), "--images", str(folder), "--out", str(tmp_path / "codes.csv")]) == 0
    out = capsys.readouterr().out
    assert "Wrote the codes of 39 images (16 values each) with their labels" in out
    assert "nearest-neighbour accuracy" in out and "PCA (16 components)" in out and "raw pixels (3,072" in out
    written = rows(tmp_path / "codes.csv")
    assert written[0] == ["file", "label", *(f"code_{i}" for i in range(16))] and len(written) == 40
    assert [row[0] for row in written[1:]] == sorted(row[0] for row in written[1:])
    assert written[1][:2] == ["china/copy-jpeg.jpg", "china"] and all(len(row) == 18 for row in written)
    assert main(["encode", str(model), "--images", str(folder), "--out", str(tmp_path / "codes.npy")]) == 0
    codes = np.load(tmp_path / "codes.npy")
    assert codes.shape == (39, 16) and np.array_equal(codes, np.array([r[2:] for r in written[1:]], np.float32))


def test_similar_lists_the_nearest_images_with_distances(collection, tmp_path, capsys):
    folder, model, _planted = collection
    query = tmp_path / "query.png"
    Image.open(folder / "flower" / "p20.jpg").resize((70, 48)).save(query)
    out_file = tmp_path / "similar.csv"
    assert main(["similar", str(model), "--images", str(folder), "--query", str(query), "--top", "3",
                 "--query", str(folder / "china" / "p03.jpg"), "--out", str(out_file)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Nearest to" in out and "(itself left out)" in out
    written = rows(out_file)
    assert written[0] == ["query", "rank", "file_or_index", "label", "distance"] and len(written) == 7
    assert written[1][1:4] == ["1", "flower/p20.jpg", "flower"]  # the resized copy finds its original first
    assert written[4][2] == "china/copy-jpeg.jpg"  # and the photo its re-encoded copy, not itself
    distances = [float(row[4]) for row in written[1:4]]
    assert distances == sorted(distances)


def test_duplicates_finds_the_planted_copies_and_little_else(collection, tmp_path, capsys):
    folder, model, planted = collection
    assert main(["duplicates", str(model), "--images", str(folder), "--out", str(tmp_path / "dups.csv")]) == 0
    out = capsys.readouterr().out
    assert "near-duplicates" in out and "Group 1" in out
    written = rows(tmp_path / "dups.csv")
    assert written[0] == ["group", "file_a", "label_a", "file_b", "label_b", "distance", "relative_distance"]
    pairs = {tuple(sorted((row[1], row[3]))) for row in written[1:]}
    assert {tuple(sorted(pair)) for pair in planted} <= pairs and len(pairs) <= 4


def test_outputs_that_would_replace_an_input_are_refused(collection, tmp_path, capsys):
    folder, model, _planted = collection
    inside = folder / "codes.csv"
    assert main(["encode", str(model), "--images", str(folder), "--out", str(inside)]) == 2
    assert main(["encode", str(model), "--images", str(folder), "--out", str(tmp_path / "codes.txt")]) == 2
    named_csv = tmp_path / "model.csv"  # (a model file may have any name)
    named_csv.write_bytes(model.read_bytes())
    assert main(["duplicates", str(named_csv), "--images", str(folder), "--out", str(named_csv)]) == 2
    query = folder / "china" / "p01.jpg"
    assert main(["similar", str(model), "--images", str(folder), "--query", str(query), "--out",
                 str(tmp_path / "q.csv"), "--query", str(tmp_path / "missing.png")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "lies in the image folder --images" in err and ".csv, .npy or .parquet" in err
    assert "is the model file MODEL" in err and "does not exist" in err
    assert not inside.exists() and not (tmp_path / "q.csv").exists()


def test_the_parser_stays_light():
    """The three commands add their parsers without PyTorch (the window and every command build the parser)."""
    import subprocess
    import sys

    code = "import sys; from aegui.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stdout + result.stderr


def test_encode_reads_a_folder_a_block_at_a_time(collection, tmp_path, capsys, monkeypatch):
    """The folder is never read whole: images come in blocks (here of 8) and go out as rows; an unreadable file is
    skipped and said; the .npy file's header counts the rows written; what the codes are worth is what the window's
    whole-folder reading measures (the same split, the same samples)."""
    from aegui.core.analysis import codes as codes_module
    from aegui.core.analysis.code_worth import code_worth
    from aegui.core.data import images

    folder, model, _planted = collection
    mixed = tmp_path / "mixed"
    for path in folder.rglob("*.*"):
        (mixed / path.relative_to(folder)).parent.mkdir(parents=True, exist_ok=True)
        (mixed / path.relative_to(folder)).write_bytes(path.read_bytes())
    (mixed / "china" / "broken.png").write_bytes(b"not an image")
    whole, _report = load_image_folder(mixed, size=32, color="rgb")
    worth = code_worth(save_and_load(model), whole)
    real_iter, seen = codes_module.iter_codes, []

    def watched(model, images, *args, **kwargs):
        seen.append(len(images))
        return real_iter(model, images, *args, **kwargs)

    monkeypatch.setattr(images, "PROGRESS_EVERY", 8)
    monkeypatch.setattr(codes_module, "iter_codes", watched)
    monkeypatch.setattr(images, "load_image_folder", lambda *args, **kwargs: pytest.fail("the folder was read whole"))
    assert main(["encode", str(model), "--images", str(mixed), "--out", str(tmp_path / "codes.npy")]) == 0
    out = capsys.readouterr().out
    assert "1 file skipped: china/broken.png (cannot be read as an image)" in out
    assert max(seen) <= 8 and sum(seen) == 39
    assert np.load(tmp_path / "codes.npy").shape == (39, 16)
    assert worth.describe() in out


def save_and_load(path):
    from aegui.core.files.checkpoints import load_checkpoint

    return load_checkpoint(path).model


def test_the_pairs_writer_is_the_windows_too(tmp_path):
    """`write_pairs` (what `duplicates --out` writes, for the window's export): group, both images with their labels,
    the distances; a name a spreadsheet would run is written as text; a pipe is never opened."""
    import os

    from aegui.core.analysis.duplicates import find_duplicates, write_pairs
    from aegui.core.errors import AeguiError

    features = np.array([[0.0, 0.0], [0.0, 0.01], [5.0, 5.0], [9.0, 1.0], [3.0, 8.0], [7.0, 7.0], [1.0, 6.0]])
    pairs = find_duplicates(features)
    names = ["=cmd()", "b.png", "c.png", "d.png", "e.png", "f.png", "g.png"]
    write_pairs(tmp_path / "pairs.csv", pairs, names, ["x", "", "y", "y", "y", "y", "y"])
    written = rows(tmp_path / "pairs.csv")
    assert written[0] == ["group", "file_a", "label_a", "file_b", "label_b", "distance", "relative_distance"]
    assert written[1][:5] == ["1", "'=cmd()", "x", "b.png", ""] and float(written[1][5]) == pytest.approx(0.01)
    os.mkfifo(tmp_path / "pipe.csv")
    with pytest.raises(AeguiError, match="named pipe"):
        write_pairs(tmp_path / "pipe.csv", pairs, names, [""] * 7)
