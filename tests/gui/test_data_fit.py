"""The window follows the data, and tells the truth about it (issue 44): after digits, a folder of colour photos
gets the model made for it (and the trained one is not dropped silently); while the model does not take the
data every view says so and disables what cannot work; a model opened or restored brings its own data back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from aegui.core.files.checkpoints import autosave_folder, save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from aegui.core.training.trainer import History, TrainConfig
from aegui.gui.window.file_actions import FileActions
from tests.gui.conftest import ONE_EPOCH

SMALL_DIGITS = ModelConfig(hidden_sizes=(32,), code_size=4)
EPOCH_RECORD = {"epoch": 1, "train_loss": 0.3, "test_loss": 0.3, "test_mse": 0.05, "test_sse_per_image": 40.0}


def write_colour_photos(folder, per_class: int = 12, side: int = 40, seed: int = 0, colour: bool = True):
    """Colourful pictures, each its own: a background and a few shapes, every colour drawn at random."""
    rng = np.random.default_rng(seed)
    for name in ("meadow", "sunset"):
        (folder / name).mkdir(parents=True)
        for index in range(per_class):
            picture = Image.new("RGB", (side, side), tuple(int(v) for v in rng.integers(0, 256, 3)))
            draw = ImageDraw.Draw(picture)
            for _shape in range(3):
                x0, y0 = (int(v) for v in rng.integers(0, side // 2, 2))
                x1, y1 = x0 + int(rng.integers(side // 4, side // 2)), y0 + int(rng.integers(side // 4, side // 2))
                fill = tuple(int(v) for v in rng.integers(0, 256, 3))
                (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill)
            (picture if colour else picture.convert("L").resize((28, 28))).save(folder / name / f"{index:02d}.png")
    return folder


def load(window, qtbot, folder):
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000) as loaded:
        assert window.parts.data_controller.load_images(folder)
    return loaded.args[0]


def notes(window) -> dict[str, str]:
    """What each view says while the model does not take the data."""
    parts = window.parts
    return {"code space": parts.code_space_panel.status.text(), "explore": parts.explore_panel.unfit_label.text(),
            "generate": parts.generate_view.status.text(), "features": parts.features_view.unfit_label.text(),
            "outliers": parts.outliers_view.status.text(), "drawing": window.draw_panel.hint.text()}  # fmt: skip


def test_after_digits_colour_photos_get_the_photos_model_and_every_view_says_why(window, qtbot, tmp_path,
                                                                                  monkeypatch):  # fmt: skip
    asked = []
    monkeypatch.setattr(FileActions, "ask_unsaved", lambda self, doing: asked.append(doing) or "discard")
    session, panel, parts = window.session, window.panel, window.parts
    with qtbot.waitSignal(session.trainingFinished, timeout=60_000):
        assert session.train(SMALL_DIGITS, ONE_EPOCH, "default")
    digits_model = session.model
    dataset = load(window, qtbot, write_colour_photos(tmp_path / "photos"))
    assert dataset.image_shape == (3, 32, 32)
    # the fitting model is offered (as `aegui train --images` picks it) and said; the trained one stays until Train
    assert panel.preset_name() == "photos" and session.model is digits_model
    assert "Train starts a new model for them; after asking about this one" in panel.data_note_label.text()
    assert "'photos' preset is chosen" in panel.data_note_label.text() and panel.new_model_button.isVisibleTo(window)
    # every view says the model does not take these images, and what to do; what cannot work is disabled
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
    said = notes(window)
    for view, text in said.items():
        assert "28×28 grey" in text and "32×32 colour" in text and "Train" in text, view
    assert not parts.outliers_view.csv_button.isEnabled() and not parts.outliers_view.png_button.isEnabled()
    assert not any(button.isEnabled() for button in parts.code_space_panel.export_buttons)
    assert not parts.code_space_panel.count_spin.isEnabled() and parts.code_space.latent is None
    assert parts.gallery.rows == 1 and "does not take them" in parts.gallery.caption()
    monkeypatch.setattr("aegui.gui.window.dialogs.export_path", lambda *args: pytest.fail("asked where to export"))
    for export in (window.files.export_code_space_dialog, window.files.export_outliers_dialog):  # (File menu's too)
        export("csv")
        assert panel.message_label.text().startswith("Nothing to export: This model takes 28×28 grey images")
    # Train: asked first about the trained digits model, then a photos model trains in colour
    panel.epochs_spin.setValue(3)
    with qtbot.waitSignal(session.trainingFinished, timeout=120_000):
        assert window.start_training()
    assert asked == ["starting a new model"]
    assert session.model.image_shape == (3, 32, 32) and session.preset_name == "photos"
    assert panel.data_note_label.text() == "" and session.unfit_note() == ""
    gallery = parts.gallery
    qtbot.waitUntil(lambda: gallery.rows == 2 and gallery.picture().ndim == 3, timeout=10_000)
    test = dataset.test_images[:10]
    rebuilt = session.inference.reconstruct_many(test.reshape(len(test), -1).float() / 255)
    originals = test.float().numpy().transpose(0, 2, 3, 1) / 255
    assert rebuilt.shape == (len(test), 32, 32, 3)
    assert np.abs(rebuilt[..., 0] - rebuilt[..., 1]).mean() > 0.05  # colour, not grey
    assert rebuilt.std(axis=0).mean() > 0.05  # each photo its own, not one average image
    distances = ((rebuilt[:, None] - originals[None]) ** 2).mean(axis=(2, 3, 4))
    assert (distances.argmin(axis=1) == np.arange(len(test))).mean() >= 0.8  # each is nearest its own photo
    # the views follow the new model: exports work again
    window.tabs.setCurrentIndex(window.tabs.indexOf(parts.outliers_view))
    qtbot.waitUntil(lambda: parts.outliers.report is not None, timeout=30_000)
    assert parts.outliers_view.csv_button.isEnabled() and parts.outliers_view.histogram.isVisible()


def test_a_colour_model_with_digits_says_so_and_generates_its_own_images(window, qtbot, tmp_path):
    load(window, qtbot, write_colour_photos(tmp_path / "photos", per_class=6))
    window.panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=120_000):
        assert window.start_training()
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000):
        window.session.load_data("sample")
    assert window.panel.preset_name() == "default"  # the preset for digits is offered back
    window.tabs.setCurrentIndex(window.tabs.indexOf(window.parts.generate_view))
    text = window.parts.generate_view.status.text()
    assert "This model takes 32×32 colour images; Embedded sample's are 28×28 grey" in text
    assert "28×28 grey" in window.draw_panel.hint.text() and window.canvas.fitting.color  # the canvas is its image


@pytest.mark.parametrize("colour", [False, True], ids=["grey 28x28 folder", "colour folder"])
def test_opening_a_model_brings_back_the_data_it_was_trained_on(window, qtbot, tmp_path, colour):
    """A model trained on other data than the digits in use (the signs of a folder, say): its data comes with
    it, so the code map's images are its images, not MNIST's digits."""
    folder = write_colour_photos(tmp_path / "signs", per_class=8, colour=colour).resolve()
    shape = (3, 32, 32) if colour else (1, 28, 28)
    model = build_model(ModelConfig(hidden_sizes=(16,), code_size=2, image_shape=shape))
    path = save_checkpoint(tmp_path / "signs.aegui.pt", model, History([dict(EPOCH_RECORD)], [0.3]),
                           dataset=f"images:{folder}")  # fmt: skip
    said = []
    window.session.message.connect(lambda text, _problem: said.append(text))
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000) as loaded:
        window.files.open_model(path)
    assert loaded.args[0].source == str(folder) and loaded.args[0].image_shape == shape
    assert any(text.startswith("Opened signs.aegui.pt") and "Loading signs, the images it was trained on." in text
               for text in said)  # fmt: skip
    window.tabs.setCurrentIndex(window.tabs.indexOf(window.parts.code_map_page))
    code_space = window.parts.code_space
    qtbot.waitUntil(lambda: code_space.latent is not None, timeout=30_000)
    code_space._on_point_hovered(0)
    hovered = window.parts.code_space_panel.hovered_view.image()
    image = loaded.args[0].test_images[int(code_space.latent.indices[0])].float().numpy() / 255
    assert np.allclose(hovered, image.transpose(1, 2, 0) if colour else image)


def test_restoring_an_autosave_brings_back_its_data_and_the_epochs_its_run_had_left(qtbot, tmp_path):
    from aegui.gui import MainWindow

    folder = write_colour_photos(tmp_path / "photos", per_class=6).resolve()
    model = build_model(
        ModelConfig(kind="conv", channels=(8, 16), hidden_sizes=(), code_size=8, image_shape=(3, 32, 32))
    )
    autosave = autosave_folder() / "autosave-1-dead.aegui.pt"
    save_checkpoint(autosave, model, History([dict(EPOCH_RECORD)], [0.3]), TrainConfig(epochs=10, loss="mse"),
                    dataset=f"images:{folder}", preset="photos")  # fmt: skip
    (autosave.parent / (autosave.name + ".json")).write_text(json.dumps({"epochs_left": 9}))
    window = MainWindow()
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.session.dataset is not None and window.recovery_offer.banner is not None,
                    timeout=20_000)  # fmt: skip
    assert "trained on photos" in window.recovery_offer.banner.label.text()
    with qtbot.waitSignal(window.session.datasetLoaded, timeout=60_000) as loaded:
        assert window.recovery_offer.restore()
    assert loaded.args[0].source == str(folder) and window.session.takes_data()
    assert window.panel.epochs_spin.value() == 9 and window.panel.preset_name() == "photos"
    assert window.panel.data_note_label.text() == ""  # (not "Train starts a new model for them")
    window.close()  # (the question about unsaved work is answered Discard: the copy and its context go)
    assert not list(autosave_folder().glob("autosave*"))
