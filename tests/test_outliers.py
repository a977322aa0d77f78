"""What a model finds strange: scores, the most unusual first, the novelty of a class never seen, the CLI."""

import csv

import numpy as np
import pytest
import torch
from PIL import Image

import aegui
from aegui.cli import main
from aegui.core.analysis.mosaic import CAPTION_WIDTH
from aegui.core.analysis.outliers import novelty, outlier_scores, score_dataset, sheet_captions, standardised
from aegui.core.files.checkpoints import save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import TrainConfig, Trainer

SMALL = ModelConfig(hidden_sizes=(128,), code_size=16, activation="relu")
QUICK = TrainConfig(epochs=4, batch_size=100, lr=3e-3, optimizer="adam", loss="bce", schedule="onecycle")


@pytest.fixture(scope="module")
def digits_model(sample):
    model = build_model(SMALL, seed=0)
    Trainer(model, sample, QUICK).run()
    return model.eval()


def test_planted_non_digits_come_first(digits_model, sample):
    rng = np.random.default_rng(0)
    digits = sample.test_images[:300].numpy()
    planted = np.stack(
        [  # blotches, stripes and noise: things that are not digits
            *(rng.uniform(0, 255, (28, 28)) for _ in range(3)),
            *(np.tile(np.linspace(0, 255, 28), (28, 1)) for _ in range(2)),
            *(np.where(rng.uniform(size=(28, 28)) > 0.7, 255.0, 0.0) for _ in range(3)),
        ]
    ).astype(np.uint8)
    images = np.concatenate([digits, planted])
    for method, within in (("error", len(planted)), ("relative", 20)):  # (bright noise is much ink: relative
        scores = outlier_scores(digits_model, images, method=method)  # error ranks it a little lower)
        assert scores.shape == (len(images),) and np.isfinite(scores).all()
        assert set(range(len(digits), len(images))) <= set(np.argsort(-scores)[:within]), method
    labels = np.concatenate([sample.test_labels[:300].numpy(), np.zeros(len(planted), int)])
    standard = outlier_scores(digits_model, images, labels, method="standardised")
    assert set(range(len(digits), len(images))) <= set(np.argsort(-standard)[:20])


def test_standardising_puts_every_class_on_one_scale():
    rng = np.random.default_rng(0)
    quiet, loud = 1 + 0.1 * rng.standard_normal(40), 10 + rng.standard_normal(40)  # a class that rebuilds worse
    errors = np.concatenate([quiet, [2.0], loud, [17.0]])
    labels = np.repeat([0, 1], 41)
    scores = standardised(errors, labels)
    assert scores[40] > scores[81] > np.delete(scores, [40, 81]).max()  # each class's odd one out first
    assert np.argmax(errors) != 40  # (by the raw error, the quiet class's odd one is ordinary)
    few = standardised(np.array([1.0, 1.1, 0.9, 1.0, 30.0, 1.05]), np.array([0, 0, 0, 0, 1, 1]))
    assert np.argmax(few) == 4  # classes too small to have a spread of their own are measured against all


def test_a_report_lists_every_image_with_its_name_class_and_rank(digits_model, sample):
    data = sample.subset(500, 100)
    report = score_dataset(digits_model, data)
    assert len(report.scores) == 600 and report.method == "standardised"
    rows = report.rows(5)
    assert [rank for *_rest, rank in rows] == [1, 2, 3, 4, 5]
    assert rows[0][3] == report.scores.max() and rows[0][1].startswith(("train #", "test #"))
    threes = report.rows(None, 3)
    assert threes and all(row[2] == "3" for row in threes)


def test_novelty_of_a_class_left_out_of_training(sample):
    model = build_model(SMALL, seed=0)
    trainer = Trainer(model, sample, TrainConfig(**{**QUICK.to_dict(), "exclude_class": 0}))
    assert (trainer._train.reshape(-1, 784).shape[0]) == int((sample.train_labels != 0).sum())
    trainer.run()
    found = novelty(model, sample, 0)
    assert 0.5 < found.auc <= 1.0  # zeros, never seen, stand out
    assert found.false_positive_rate[0] == 0 and found.true_positive_rate[-1] == 1
    assert np.all(np.diff(found.false_positive_rate) >= 0)


def test_the_command_lists_writes_csv_and_png_and_reports_novelty(tmp_path, capsys, sample):
    assert main(["train", "--dataset", "sample", "--exclude-class", "0", "--epochs", "3", "--preset", "seed",
                 "--save", str(tmp_path / "no-zeros.aegui.pt")]) == 0  # fmt: skip
    capsys.readouterr()
    model = str(tmp_path / "no-zeros.aegui.pt")
    assert main(["outliers", model, "--dataset", "sample", "--top", "7", "--out", str(tmp_path / "o.csv")]) == 0
    out = capsys.readouterr().out
    assert "The 7 most unusual of 5,000 images" in out and "ROC AUC of" in out and "Left out in training: 0" in out
    with (tmp_path / "o.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["rank", "file_or_index", "label", "score", "error"] and len(rows) == 5001
    assert [int(row[0]) for row in rows[1:4]] == [1, 2, 3] and float(rows[1][3]) >= float(rows[2][3])
    assert main(["outliers", model, "--dataset", "sample", "--top", "9", "--out", str(tmp_path / "o.png")]) == 0
    sheet = Image.open(tmp_path / "o.png")
    assert sheet.width == 3 * (CAPTION_WIDTH + 2) + 2 and sheet.height > 3 * (56 + 30)  # digits enlarged 2x, to be
    assert np.asarray(sheet)[2 + 56 + 2 : 2 + 56 + 30, 2 : 2 + CAPTION_WIDTH].max() > 200  # read, over their captions
    assert main(["outliers", model, "--out", str(tmp_path / "o.txt")]) == 2
    assert np.allclose(aegui.outlier_scores(aegui.load_model(model), sample.test_images[:4]),
                       outlier_scores(aegui.load_model(model), sample.test_images[:4]))  # fmt: skip


def test_an_image_folder_lists_its_files(tmp_path, capsys, digits_model, sample):
    from benchmarks.images import write_digit_folder

    folder = write_digit_folder(tmp_path / "digits", sample.test_images[:60].numpy(), sample.test_labels[:60].numpy(),
                                broken=0, text_files=0)  # fmt: skip
    from sklearn.datasets import load_sample_images

    photo = load_sample_images().images[1][100:300, 200:400]  # a real photograph: part of a flower
    Image.fromarray(photo).resize((64, 64)).save(folder / "three" / "not-a-digit.png")
    noise = (np.random.default_rng(1).uniform(0, 255, (64, 64, 3))).astype(np.uint8)
    Image.fromarray(noise).save(folder / "two" / "noise.png")
    model = save_checkpoint(tmp_path / "m.aegui.pt", digits_model)
    assert main(["outliers", str(model), "--images", str(folder), "--top", "5"]) == 0
    top = [line.split()[-1] for line in capsys.readouterr().out.splitlines() if line[:5].strip().isdigit()]
    assert len(top) == 5 and {"three/not-a-digit.png", "two/noise.png"} <= set(top)  # of 62 images
    assert main(["outliers", str(model), "--images", str(folder), "--top", "5", "--score", "error"]) == 0
    top = [line.split()[-1] for line in capsys.readouterr().out.splitlines() if line[:5].strip().isdigit()]
    assert {"three/not-a-digit.png", "two/noise.png"} <= set(top)
    assert torch.is_tensor(sample.test_images)


def test_a_sheet_s_captions_give_rank_score_class_and_name():
    from aegui.core.analysis.mosaic import contact_sheet

    name = "folder/a_very_long_file_name_that_will_not_fit_0042.png"
    rows = [(5, name, "Ankle boot", 3.14159, 1)]
    assert sheet_captions(rows) == [f"#1  score 3.14\nclass Ankle boot\n{name}"]
    images = np.zeros((2, 28, 28), np.float32)
    plain, captioned = contact_sheet(images), contact_sheet(images, captions=sheet_captions(rows * 2))
    assert captioned.width == 2 * (CAPTION_WIDTH + 2) + 2 and captioned.height > plain.height + 30
    assert not np.asarray(captioned)[: 2 + 56, :].any()  # (black digits: the text lies below them)
