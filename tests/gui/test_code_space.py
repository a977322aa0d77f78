import numpy as np
import pytest
import torch
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from aegui.core.words import with_article
from tests.gui.conftest import drag, wait_for_drawing

ONE = [[(160, 50), (165, 270)]]
ZERO = [[(160, 50), (100, 100), (95, 200), (160, 270), (225, 200), (220, 100), (160, 50)]]


def open_tab(window, qtbot, index):
    with qtbot.waitSignal(window.parts.code_space.mapUpdated, timeout=30_000):
        window.tabs.setCurrentIndex(index)


def test_the_map_appears_with_both_scores(window, qtbot):
    open_tab(window, qtbot, 1)
    code_map, pixel_map = window.parts.code_space_panel.code_map, window.parts.code_space_panel.pixel_map
    assert code_map.objectName() == "latentMap"
    assert code_map.point_count() == 1000 and pixel_map.point_count() == 1000  # the sample has 1,000 test digits
    assert code_map.title().startswith("PCA of codes: separation 0.")
    assert pixel_map.title().startswith("PCA of pixels: separation 0.")  # like with like: PCA on both sides
    status = window.parts.code_space_panel.status.text()
    assert "Codes: PCA of the 32-value codes (" in status and "Pixels: PCA of the 784 pixel values (" in status
    assert "10 nearest neighbours on the map are mostly of their class" in status  # what the score means


def test_the_drawing_is_a_point_that_moves(window, qtbot):
    open_tab(window, qtbot, 1)
    code_map = window.parts.code_space_panel.code_map
    assert code_map.marker() is None
    drag(window.canvas, ONE)
    wait_for_drawing(window, qtbot)
    expected = window.parts.code_space.latent.embedding.place(window.draw_panel.code_view.values()[None])[0]
    at = lambda point: code_map.marker() is not None and np.allclose(code_map.marker(), point, atol=1e-4)  # noqa: E731
    qtbot.waitUntil(lambda: at(expected))  # (it follows the pen up to 30 times a second)
    first = code_map.marker()
    window.canvas.clear()
    drag(window.canvas, ZERO)
    wait_for_drawing(window, qtbot)
    expected = window.parts.code_space.latent.embedding.place(window.draw_panel.code_view.values()[None])[0]
    qtbot.waitUntil(lambda: at(expected))
    assert not np.allclose(code_map.marker(), first)
    window.canvas.clear()
    qtbot.waitUntil(lambda: code_map.marker() is None)


def test_the_drawing_s_marker_follows_a_burst_of_changes_once_then_the_last(window, qtbot, monkeypatch):
    """A pen moves 125 times a second; the map's marker, the neighbours and the sliders follow at most 30 times
    a second (each change costs a decode, a search and a repaint), always ending on the latest drawing."""
    open_tab(window, qtbot, 1)
    code_space, code_map = window.parts.code_space, window.parts.code_space_panel.code_map
    placed = []
    set_marker = code_map.set_marker
    monkeypatch.setattr(code_map, "set_marker", lambda point: (placed.append(point), set_marker(point)))
    codes = np.random.default_rng(0).normal(size=(50, code_space.latent.codes.shape[1])).astype(np.float32)
    for code in codes:  # (as fast as the events come: no time passes between them)
        code_space.show_drawing(code)
    assert len(placed) <= 1
    last = code_space.latent.embedding.place(codes[-1:])[0]
    qtbot.waitUntil(lambda: code_map.marker() is not None and np.allclose(code_map.marker(), last, atol=1e-4))
    assert len(placed) <= 2


def test_a_drawing_made_while_the_map_is_hidden_is_placed_when_it_shows(window, qtbot):
    open_tab(window, qtbot, 1)
    code_map = window.parts.code_space_panel.code_map
    window.tabs.setCurrentIndex(0)  # hidden: the drawing is not placed (it follows training twice a second)
    drag(window.canvas, ONE)
    wait_for_drawing(window, qtbot)
    assert code_map.marker() is None
    window.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: code_map.marker() is not None)
    expected = window.parts.code_space.latent.embedding.place(window.draw_panel.code_view.values()[None])[0]
    np.testing.assert_allclose(code_map.marker(), expected, atol=1e-4)


def _scene_to_widget(plot_widget, x, y):
    view = plot_widget.getPlotItem().vb
    scene_point = view.mapViewToScene(QPointF(x, y))
    return plot_widget.mapFromScene(scene_point)


def _mouse(widget, kind, position, button, buttons):
    event = QMouseEvent(kind, QPointF(position), QPointF(widget.mapToGlobal(position)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget.viewport(), event)


def test_hovering_a_point_shows_its_digit(window, qtbot):
    open_tab(window, qtbot, 1)
    code_map = window.parts.code_space_panel.code_map
    index = 17
    x, y = window.parts.code_space.latent.points[index]
    position = _scene_to_widget(code_map, x, y)
    hovered = window.parts.code_space_panel.hovered_view
    assert hovered.image() is None and hovered.caption() == "Point at a digit in the map."  # says what to do
    _mouse(code_map, QEvent.Type.MouseMove, position, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: hovered.image() is not None, timeout=5000)
    shown_index = int(hovered.caption().split("#")[1].split(":")[0])
    expected = window.session.dataset.test_images[shown_index].float().numpy() / 255
    np.testing.assert_allclose(hovered.image(), expected)
    assert np.linalg.norm(window.parts.code_space.latent.points[shown_index] - [x, y]) < 1.0


def test_clicking_anywhere_decodes_that_spot(window, qtbot):
    open_tab(window, qtbot, 1)
    code_map = window.parts.code_space_panel.code_map
    points = window.parts.code_space.latent.points
    (x0, x1), (y0, y1) = code_map.getPlotItem().vb.viewRange()
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 25)[2:-2], np.linspace(y0, y1, 25)[2:-2]), -1).reshape(-1, 2)
    scale = np.array([x1 - x0, y1 - y0])
    gaps = np.min(np.linalg.norm((grid[:, None] - points[None]) / scale, axis=2), axis=1)
    spot = grid[gaps.argmax()]  # the emptiest place in view: the click hits no point
    position = _scene_to_widget(code_map, *spot)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _mouse(code_map, QEvent.Type.MouseButtonPress, position, left, left)
    _mouse(code_map, QEvent.Type.MouseButtonRelease, position, left, none)
    decoded = window.parts.code_space_panel.decoded_view
    qtbot.waitUntil(lambda: decoded.image() is not None, timeout=5000)
    assert decoded.caption().startswith("decoded at")
    x, y = window.parts.code_space.last_decoded_spot
    code = window.parts.code_space.latent.decode_point(np.array([x, y]))
    np.testing.assert_allclose(decoded.image(), window.session.inference.decode(code), atol=1e-5)
    assert abs(x - spot[0]) < 0.02 * (x1 - x0) and abs(y - spot[1]) < 0.02 * (y1 - y0)


def test_sliders_start_from_the_drawing_and_decode_live(window, qtbot):
    open_tab(window, qtbot, 2)
    sliders = window.parts.explore_panel.sliders
    assert len(sliders.sliders()) == window.session.model.code_size == 32
    drag(window.canvas, ONE)
    wait_for_drawing(window, qtbot)
    start = sliders.code()
    decoded = window.parts.explore_panel.slider_view
    np.testing.assert_allclose(decoded.image(), window.session.inference.decode(start), atol=1e-5)
    sliders.sliders()[3].setValue(sliders.sliders()[3].maximum())  # what a drag does, step by step
    moved = sliders.code()
    assert moved[3] != start[3] and np.allclose(np.delete(moved, 3), np.delete(start, 3))
    np.testing.assert_allclose(decoded.image(), window.session.inference.decode(moved), atol=1e-5)
    assert len(window.parts.code_space.slider_latencies) == 1


def test_interpolating_between_two_drawings(window, qtbot):
    open_tab(window, qtbot, 2)
    strip = window.parts.explore_panel.interpolation
    drag(window.canvas, ONE)
    wait_for_drawing(window, qtbot)
    first = window.draw_panel.code_view.values()
    qtbot.mouseClick(strip.findChild(type(window.panel.train_button), "aFromDrawingButton"), Qt.MouseButton.LeftButton)
    window.canvas.clear()
    drag(window.canvas, ZERO)
    wait_for_drawing(window, qtbot)
    second = window.draw_panel.code_view.values()
    qtbot.mouseClick(strip.findChild(type(window.panel.train_button), "bFromDrawingButton"), Qt.MouseButton.LeftButton)
    images = strip.images()
    assert images.shape == (10, 28, 28)
    np.testing.assert_allclose(images[0], window.session.inference.decode(first), atol=1e-5)
    np.testing.assert_allclose(images[-1], window.session.inference.decode(second), atol=1e-5)


def test_interpolating_between_two_picked_digits(window, qtbot):
    open_tab(window, qtbot, 1)
    code_map, strip = window.parts.code_space_panel.code_map, window.parts.explore_panel.interpolation
    code_map.pointClicked.emit(3)
    strip.endpointRequested.emit("a", "picked")
    assert strip.status.text() == "A: test digit #3. Now set B."
    code_map.pointClicked.emit(8)
    strip.endpointRequested.emit("b", "picked")
    assert strip.status.text() == "A: test digit #3  →  B: test digit #8"  # both ends named
    codes = window.parts.code_space.latent.codes
    np.testing.assert_allclose(strip.images()[0], window.session.inference.decode(codes[3]), atol=1e-5)
    np.testing.assert_allclose(strip.images()[-1], window.session.inference.decode(codes[8]), atol=1e-5)
    window.new_model()  # another model: the old codes' digits go (a frame later)
    qtbot.waitUntil(lambda: strip.images() is None, timeout=5_000)
    assert strip.status.text().startswith("Set A and B")


def test_the_drawings_nearest_images_among_training_and_test(window, qtbot):
    open_tab(window, qtbot, 2)
    uses = window.parts.code_space.collection
    qtbot.waitUntil(lambda: uses.encoded is not None, timeout=30_000)
    assert uses.encoded.codes.shape == (5000, 32)  # the sample's 4,000 training and 1,000 test digits
    view = window.parts.explore_panel.neighbours
    with qtbot.waitSignal(uses.neighboursShown, timeout=30_000):
        drag(window.canvas, ZERO)
    labels = view.labels()
    assert labels is not None and len(labels) == 8 and len(view.shown()) == 8
    distances = [shown.distance for shown in view.shown()]
    assert distances == sorted(distances) and distances[0] > 0  # (the drawing is none of the images)
    majority = np.bincount(labels).argmax()
    assert f"looks like {with_article(str(majority))}" in view.verdict.text() or np.sort(np.bincount(labels))[
        -2
    ] == labels.tolist().count(majority)


def test_the_map_follows_training(window, qtbot):
    open_tab(window, qtbot, 1)
    updates = []  # whether training was still running when each map was shown
    window.parts.code_space.mapUpdated.connect(lambda: updates.append(window.session.is_training()))
    window.panel.epochs_spin.setValue(1000)  # (stopped once a map of a running run's weights is shown)
    window.start_training()
    # while training, the maps follow the weights every few seconds (MAP_FOLLOW_MS), within the window's share of
    # a core (concurrency.window_share); the final ones at the end
    qtbot.waitUntil(lambda: True in updates, timeout=60_000)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        window.session.stop()
    qtbot.waitUntil(lambda: not updates[-1], timeout=30_000)


def test_more_points_and_the_map_as_png(window, qtbot, tmp_path):
    open_tab(window, qtbot, 1)
    window.parts.code_space_panel.count_spin.setValue(500)
    with qtbot.waitSignal(window.parts.code_space.mapUpdated, timeout=30_000):
        window.parts.code_space_panel.countChanged.emit(500)
    assert window.parts.code_space_panel.code_map.point_count() == 500
    assert window.parts.code_space.export("png", tmp_path / "map.png")
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"


def test_opening_a_two_value_model_maps_codes_directly(window, qtbot, tmp_path):
    from aegui.core.files.checkpoints import save_checkpoint
    from aegui.core.model.autoencoder import ModelConfig, build_model

    path = save_checkpoint(tmp_path / "two.aegui.pt", build_model(ModelConfig(hidden_sizes=(16,), code_size=2)))
    open_tab(window, qtbot, 1)
    with qtbot.waitSignal(window.parts.code_space.mapUpdated, timeout=30_000):
        window.files.open_model(path)
    latent = window.parts.code_space.latent
    np.testing.assert_allclose(latent.points, latent.codes, atol=1e-6)
    assert len(window.parts.explore_panel.sliders.sliders()) == 2


def test_sliders_span_the_codes_of_the_trained_weights(window, qtbot):
    open_tab(window, qtbot, 2)
    sliders = window.parts.explore_panel.sliders
    window.panel.epochs_spin.setValue(2)
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        window.start_training()
    with torch.inference_mode():
        images = window.session.dataset.test_images[:1000].reshape(-1, 784).float() / 255
        codes = window.session.inference.model.encoder(images).numpy()
    expected_low = np.percentile(codes, 0.5, axis=0)
    qtbot.waitUntil(lambda: np.allclose(sliders._low, expected_low, rtol=1e-3, atol=1e-3))  # spans come from a worker
    for index in (0, 7):
        slider = sliders.sliders()[index]
        slider.setValue(slider.maximum() // 2)
        slider.setValue(slider.minimum())  # valueChanged comes only with a change
        assert sliders.code()[index] == pytest.approx(np.percentile(codes[:, index], 0.5), rel=1e-3, abs=1e-3)
        slider.setValue(slider.maximum())  # the ends are where the trained model's codes lie, not the untrained one's
        assert sliders.code()[index] == pytest.approx(np.percentile(codes[:, index], 99.5), rel=1e-3, abs=1e-3)


def test_closing_the_window_cancels_a_long_code_space_computation(window, qtbot, monkeypatch):
    """Encoding 70,000 digits with a big model takes seconds; closing must not wait for it
    (nor leave its thread running after the window is gone)."""
    import threading

    from aegui.core.errors import Cancelled
    from aegui.gui.code_space import collection_codes
    from aegui.gui.concurrency.threads import live_workers

    started = threading.Event()

    def slow_encode(config, state, dataset, cancel):
        started.set()
        if cancel.wait(10):  # 10 s unless cancelled
            raise Cancelled("encoding cancelled")
        raise AssertionError("never cancelled")

    open_tab(window, qtbot, 1)  # the map first (its worth waits for the collection's codes)
    monkeypatch.setattr(collection_codes, "encode_collection", slow_encode)
    window.parts.code_space.refresh()  # new codes asked for: the slow part
    window.tabs.setCurrentIndex(2)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    drag(window.canvas, ONE)
    wait_for_drawing(window, qtbot)
    verdict = window.parts.explore_panel.neighbours.verdict
    assert verdict.text() == "Finding the nearest digits…"  # not "draw a digit": there is one
    window.close()
    assert live_workers() == 0  # the worker gave up while the window waited for it


def _choose_projection(window, method: str) -> None:
    combo = window.parts.code_space_panel.projection_combo
    combo.setCurrentIndex(combo.findData(method))


def test_tsne_is_laid_out_after_pca_shows_and_the_star_is_placed_into_it(window, qtbot):
    panel = window.parts.code_space_panel
    panel.count_spin.setValue(300)
    panel.count_spin.editingFinished.emit()
    open_tab(window, qtbot, 1)
    assert panel.code_map.title().startswith("PCA of codes: separation")
    _choose_projection(window, "tsne")
    assert "Laying the codes and the pixels out by t-SNE; PCA is shown meanwhile" in panel.status.text()
    assert panel.code_map.title().startswith("PCA of codes") and panel.pixel_map.title().startswith("PCA of pixels")
    qtbot.waitUntil(lambda: panel.code_map.title().startswith("t-SNE of codes: separation"), timeout=60_000)
    latent = window.parts.code_space.latent
    assert latent.embedding.method == "tsne" and latent.pixel_method == "tsne"  # the same method on both sides
    assert "Codes: t-SNE of the 32-value codes" in panel.status.text()
    assert "Pixels: t-SNE of the 784 pixel values" in panel.status.text()
    qtbot.waitUntil(lambda: panel.pixel_map.title() == f"t-SNE of pixels: separation {latent.pixel_score:.3f}")
    drag(window.canvas, ZERO)
    wait_for_drawing(window, qtbot)
    qtbot.waitUntil(lambda: panel.code_map.marker() is not None)
    code = window.draw_panel.code_view.values()
    np.testing.assert_allclose(panel.code_map.marker(), latent.embedding.place(code[None])[0], atol=1e-4)
    _choose_projection(window, "pca")  # back and forth: the t-SNE map comes from the cache, at once
    assert panel.code_map.title().startswith("PCA of codes")
    qtbot.waitUntil(lambda: panel.pixel_map.title().startswith("PCA of pixels"))
    _choose_projection(window, "tsne")
    assert window.parts.code_space.latent is latent and panel.code_map.title().startswith("t-SNE of codes")


def test_during_training_tsne_waits_for_its_end_unless_asked_to_follow(qtbot, small_sample):
    from dataclasses import replace

    from aegui.core.analysis.latent import build_latent_map
    from aegui.core.model.autoencoder import ModelConfig, build_model
    from aegui.gui.code_space.map_layouts import MapLayouts

    model = build_model(ModelConfig(hidden_sizes=(32,), code_size=4))
    pca_map = build_latent_map(model.config, model.state_dict(), small_sample.test_images, small_sample.test_labels,
                               200)  # fmt: skip
    training = [True]
    layouts = MapLayouts(lambda: training[0])
    layouts.method = "tsne"
    assert layouts.request(pca_map, generation=1) is None  # training: PCA shown, t-SNE waits for the end
    assert "t-SNE is computed when training ends" in layouts.note(4)
    layouts.follow_training = True  # asked to follow: laid out now, even while training
    with qtbot.waitSignal(layouts.ready, timeout=60_000) as ready:
        assert layouts.request(pca_map, generation=1) is None
        assert "Laying the codes and the pixels out by t-SNE" in layouts.note(4)
    laid_out, generation = ready.args
    assert generation == 1 and laid_out.embedding.method == "tsne" and laid_out.indices is pca_map.indices
    assert laid_out.pixel_method == "tsne" and laid_out.pixel_points.shape == (200, 2)
    training[0], layouts.follow_training = False, False
    assert layouts.request(pca_map, generation=1) is laid_out  # cached per weights, count and method
    with qtbot.waitSignal(layouts.ready, timeout=60_000) as ready:  # other test images (new data): all afresh
        other = replace(pca_map, images=pca_map.images.clone())
        assert layouts.request(other, generation=1) is None and "codes and the pixels" in layouts.note(4)
    assert ready.args[0].images is other.images and ready.args[0].pixel_points is not laid_out.pixel_points
    with qtbot.waitSignal(layouts.ready, timeout=60_000) as ready:  # new weights: the pixels' layout is reused
        assert layouts.request(pca_map, generation=2) is None
        assert "Laying the codes out by t-SNE" in layouts.note(4)
    assert ready.args[0].pixel_points is laid_out.pixel_points
    layouts.method = "pca"
    assert layouts.request(pca_map, generation=2) is pca_map


def test_zoomed_in_the_map_shows_the_digits_themselves(qtbot, sample):
    from aegui.gui.code_space.latent_map import LatentMapView

    view = LatentMapView("codes", "latentMap")
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    points = np.random.default_rng(0).normal(size=(1000, 2)).astype(np.float32)
    view.set_points(points, sample.test_labels[:1000].numpy(), 0.5)
    view.set_thumbnails(sample.test_images[:1000].numpy())
    qtbot.waitUntil(lambda: not view._thumbnail_timer.isActive())  # the thumbnails' turn has come
    assert view.thumbnails_shown() == 0  # 1,000 digits in view: dots
    view.getPlotItem().setRange(xRange=(-0.3, 0.3), yRange=(-0.3, 0.3), padding=0)
    qtbot.waitUntil(lambda: view.thumbnails_shown() > 0, timeout=5_000)
    inside = ((np.abs(points) <= 0.3).all(axis=1)).sum()
    assert view.thumbnails_shown() == inside <= 300


def test_choosing_t_sne_imports_its_library_ahead_unless_training(window, qtbot, monkeypatch):
    """openTSNE brings scikit-learn and SciPy (1.5 CPU-seconds on a slow CPU): imported as the method is chosen,
    not in the first layout; while training, the layout imports it on the window's share of a core."""
    from aegui.gui.code_space import map_layouts

    imported = []
    monkeypatch.setattr(map_layouts, "import_ahead", imported.append)
    open_tab(window, qtbot, 1)
    combo = window.parts.code_space_panel.projection_combo
    combo.setCurrentIndex(combo.findData("tsne"))
    qtbot.waitUntil(lambda: imported == ["tsne"])
    combo.setCurrentIndex(combo.findData("pca"))
    monkeypatch.setattr(window.parts.code_space.layouts, "_is_training", lambda: True)
    combo.setCurrentIndex(combo.findData("tsne"))
    assert imported == ["tsne"]
