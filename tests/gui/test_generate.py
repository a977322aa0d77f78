"""The Generate tab and the manifold: sampling in the window, clicking a digit onto the canvas,
what codes come from before and after the density is fitted, and that it is saved with the model."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from aegui.core.files.checkpoints import load_checkpoint, save_checkpoint
from aegui.core.model.autoencoder import ModelConfig, build_model
from tests.conftest import open_and_wait
from tests.gui.conftest import ONE_EPOCH, drag, wait_for_drawing

VAE_2D = ModelConfig(hidden_sizes=(64,), code_size=2, activation="relu", code_activation="linear", variational=True)
PLAIN = ModelConfig(hidden_sizes=(64,), code_size=4, activation="relu", code_activation="linear")


def _train_and_fit(window, qtbot, config) -> None:
    window.tabs.setCurrentWidget(window.parts.generate_view)  # the density is fitted when digits are to be shown
    with (qtbot.waitSignal(window.parts.generation.densityFitted, timeout=120_000),
          qtbot.waitSignal(window.session.trainingFinished, timeout=60_000)):  # fmt: skip
        assert window.session.train(config, ONE_EPOCH)


def _click(mosaic, index: int) -> None:
    x, y = mosaic.centre_of(index)
    QTest.mouseClick(mosaic.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(x), round(y)))  # fmt: skip


def test_a_vae_generates_while_it_trains_and_from_its_fitted_density_after(window, qtbot):
    view, generation = window.parts.generate_view, window.parts.generation
    window.tabs.setCurrentWidget(window.parts.generate_view)
    shown = []
    generation.batchShown.connect(lambda: shown.append(view.status.text()))
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        assert window.session.train(VAE_2D, ONE_EPOCH)
    assert any("prior N(0, I) while it trains" in text for text in shown)  # at the epoch's end
    qtbot.waitUntil(lambda: window.session.model.density is not None, timeout=120_000)
    with qtbot.waitSignal(generation.batchShown):
        view.new_button.click()
    assert view.mosaic.images().shape == (64, 28, 28) and view.new_button.isEnabled()
    assert view.status.text().startswith("From ") and "until" not in view.status.text()
    first = view.mosaic.images()
    view.count_spin.setValue(9)
    with qtbot.waitSignal(generation.batchShown):
        view.new_button.click()
    assert view.mosaic.images().shape == (9, 28, 28) and not np.allclose(view.mosaic.images(), first[:9])


def test_a_clicked_digit_goes_onto_the_canvas_to_be_drawn_over(window, qtbot):
    _train_and_fit(window, qtbot, VAE_2D)
    window.tabs.setCurrentWidget(window.parts.generate_view)
    images = window.parts.generate_view.mosaic.images()
    _click(window.parts.generate_view.mosaic, 5)
    assert np.array_equal(window.canvas.image(), images[5])
    assert np.allclose(window.canvas.model_input(), images[5], atol=1e-6)  # the model sees the digit itself
    wait_for_drawing(window, qtbot)
    assert window.draw_panel.reconstruction_view.image() is not None
    before = window.canvas.model_input()
    drag(window.canvas, [[(40, 40), (120, 60), (200, 80)]])
    after = window.canvas.model_input()
    assert np.all(after >= before - 1e-6) and (after - before).max() > 0.5  # the ink adds to the digit
    window.canvas.clear()
    assert window.canvas.is_empty() and window.canvas.image() is None


def test_the_manifold_of_a_two_value_code_follows_the_model_and_its_digits_can_be_picked(window, qtbot):
    panel = window.parts.code_space_panel
    window.tabs.setCurrentIndex(1)
    assert not panel.manifold_box.isVisibleTo(panel)  # the default model's code has 32 values
    with (qtbot.waitSignal(window.parts.generation.densityFitted, timeout=120_000),
          qtbot.waitSignal(window.session.trainingFinished, timeout=60_000)):  # fmt: skip
        assert window.session.train(VAE_2D, ONE_EPOCH)  # the manifold beside the map asks for the density
    qtbot.waitUntil(lambda: panel.manifold.isVisible())
    cells = panel.manifold.images()
    assert cells.shape == (225, 28, 28) and "quantiles" in panel.manifold_caption.text()
    _click(panel.manifold, 17)
    assert np.array_equal(window.canvas.image(), cells[17])
    window.session.new_model(PLAIN)
    qtbot.waitUntil(lambda: not panel.manifold_box.isVisibleTo(panel))


def test_closing_the_window_while_the_density_is_fitted_waits_for_nothing(window, qtbot):
    window.tabs.setCurrentWidget(window.parts.generate_view)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        assert window.session.train(PLAIN, ONE_EPOCH)
    assert window.parts.generation.fitting  # started as training ended, for the tab open
    window.close()  # the fit gives up within a step of EM: no worker outlives the window (see conftest)


def test_a_plain_autoencoder_generates_once_trained_and_more_like_the_drawing(window, qtbot):
    view = window.parts.generate_view
    window.session.new_model(PLAIN)
    window.tabs.setCurrentWidget(window.parts.generate_view)
    assert "Train the model first" in view.status.text() and not view.new_button.isEnabled()
    _train_and_fit(window, qtbot, PLAIN)
    assert "mixture fitted to the training codes" in view.status.text()
    view.like_button.click()  # nothing drawn: it says what to do
    assert "Draw a digit" in view.status.text()
    window.canvas.set_image(window.session.dataset.test_images[0].numpy() / 255.0)
    with qtbot.waitSignal(window.parts.generation.batchShown):
        view.like_button.click()
    code = window.session.inference.reconstruct(window.canvas.model_input()).code
    near = np.array([window.session.inference.reconstruct(image).code for image in view.mosaic.images()])
    far = window.session.inference.encode_many(window.session.dataset.test_images[1:65])
    assert np.linalg.norm(near - code, axis=1).mean() < np.linalg.norm(far - code, axis=1).mean()


def test_the_fitted_density_is_saved_with_the_model_and_a_file_without_one_gets_one(window, qtbot, tmp_path):
    _train_and_fit(window, qtbot, PLAIN)
    assert window.session.save(tmp_path / "fitted.aegui.pt")
    assert load_checkpoint(tmp_path / "fitted.aegui.pt").model.density is not None
    old = build_model(PLAIN, seed=0)
    old.load_state_dict(window.session.model.state_dict())
    save_checkpoint(tmp_path / "old.aegui.pt", old, window.session.history)  # saved without a density
    assert open_and_wait(qtbot, window.session, tmp_path / "old.aegui.pt") is None
    assert window.session.model.density is None
    with qtbot.waitSignal(window.parts.generation.densityFitted, timeout=120_000):
        window.tabs.setCurrentWidget(window.parts.generate_view)  # generating asks for it: fitted in a worker
    assert window.session.model.density is not None and not window.session.dirty


def test_the_panel_makes_any_preset_a_vae_and_marks_it_as_a_new_model(window):
    panel = window.panel
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("seed"))  # a sigmoid code
    assert panel.settings()[1].precision == "fp32"  # the lesson's preset trains in fp32 on any CPU
    panel.show_loaded_model(window.session.model.config)
    panel.variational_check.setChecked(True)
    panel.beta_spin.setValue(0.5)
    panel.warmup_spin.setValue(3)
    model, train = panel.settings()
    assert model.variational and model.code_activation == "linear"  # a VAE's code is a Gaussian's mean
    assert (train.beta, train.kl_warmup) == (0.5, 3)
    assert "VAE" in panel.differences() and panel.new_model_label.isVisibleTo(panel)
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("vae2d"))
    assert panel.variational_check.isChecked() and panel.code_spin.value() == 2
    assert panel.settings()[1].precision == "auto"
