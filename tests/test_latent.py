import numpy as np
import pytest

from aegui.core.analysis.latent import (
    build_latent_map,
    interpolate,
    knn_accuracy,
    pca,
)
from aegui.core.model.autoencoder import ModelConfig, build_model


def test_pca_finds_the_main_directions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 5)) * np.array([10, 3, 0.1, 0.1, 0.1])
    projection = pca(x)
    np.testing.assert_allclose(projection.components @ projection.components.T, np.eye(2), atol=1e-5)
    assert abs(abs(projection.components[0, 0]) - 1) < 0.01 and projection.explained > 0.99
    y = projection.project(x)
    assert y.shape == (500, 2)
    np.testing.assert_allclose(projection.project(projection.inverse(y)), y, atol=1e-4)


def test_pca_of_wide_data_matches_the_full_decomposition_and_repeats():
    """Wide rows (images) take the subspace path: the same directions, variance and signs as a full SVD."""
    rng = np.random.default_rng(1)
    spread = np.concatenate([[5.0, 3.0], np.linspace(1.5, 0.05, 398)])  # a falling spectrum, as images have
    x = (rng.normal(size=(300, 400)) * spread) @ np.linalg.qr(rng.normal(size=(400, 400)))[0] + 0.5
    projection = pca(x)
    centred = x - x.mean(0)
    _, singular, vh = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(np.abs(projection.components @ vh[:2].T), np.eye(2), atol=1e-3)
    assert projection.explained == pytest.approx((singular[:2] ** 2).sum() / (singular**2).sum(), rel=1e-4)
    assert all(row[np.abs(row).argmax()] > 0 for row in projection.components)  # signs fixed
    np.testing.assert_array_equal(pca(x).components, projection.components)


def test_knn_accuracy_separates_clusters_from_noise():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 50)
    clustered = rng.normal(size=(500, 2)) * 0.1 + labels[:, None] * 5
    assert knn_accuracy(clustered, labels) == 1.0
    assert knn_accuracy(rng.normal(size=(500, 2)), labels) < 0.25


def test_knn_is_leave_one_out():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 10.0], [10.0, 10.0]])
    # with k=1 each point's only neighbour is its twin: perfect when twins share labels...
    assert knn_accuracy(points, np.array([0, 0, 1, 1]), k=1) == 1.0
    # ...and hopeless when they do not (a point never votes for itself)
    assert knn_accuracy(points, np.array([0, 1, 0, 1]), k=1) == 0.0


@pytest.fixture(scope="module")
def latent(small_sample):
    model = build_model(ModelConfig(hidden_sizes=(32,), code_size=6, activation="relu"), seed=0)
    return build_latent_map(model.config, model.state_dict(), small_sample.test_images, small_sample.test_labels,
                            count=150)  # fmt: skip


def test_latent_map_places_the_test_digits(latent):
    assert latent.points.shape == (150, 2) and latent.codes.shape == (150, 6)
    assert 0 <= latent.score <= 1 and 0 <= latent.pixel_score <= 1
    np.testing.assert_allclose(latent.points, latent.embedding.place(latent.codes), atol=1e-4)


def test_decoding_a_spot_stays_around_the_data(latent):
    for index in (0, 7, 42):
        code = latent.decode_point(latent.points[index])
        np.testing.assert_allclose(code, latent.codes[index], atol=1e-3)
    between = latent.decode_point((latent.points[0] + latent.points[1]) / 2)
    assert between.shape == (6,) and np.isfinite(between).all()


def test_two_value_codes_are_their_own_map(small_sample):
    model = build_model(ModelConfig(hidden_sizes=(16,), code_size=2, activation="relu"), seed=0)
    latent = build_latent_map(model.config, model.state_dict(), small_sample.test_images, small_sample.test_labels,
                              count=100)  # fmt: skip
    np.testing.assert_allclose(latent.points, latent.codes, atol=1e-6)
    np.testing.assert_allclose(latent.decode_point(np.array([0.3, -1.2])), [0.3, -1.2], atol=1e-6)


def test_interpolation_includes_both_ends():
    line = interpolate(np.zeros(3), np.ones(3), 10)
    assert line.shape == (10, 3)
    np.testing.assert_allclose(line[0], 0) and np.testing.assert_allclose(line[-1], 1)
    assert np.all(np.diff(line[:, 0]) > 0)


def test_encoding_stops_between_chunks_when_cancelled(small_sample, monkeypatch):
    from aegui.core.analysis import latent
    from aegui.core.analysis.latent import encode_images
    from aegui.core.errors import Cancelled

    monkeypatch.setattr(latent, "ENCODE_CHUNK", 100)
    model = build_model(ModelConfig(hidden_sizes=(16,), code_size=3, activation="relu"), seed=0)
    images = small_sample.train_images[:150]
    asked = []

    def cancel_after_first_chunk() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(Cancelled):
        encode_images(model.config, model.state_dict(), images, cancel_after_first_chunk)
    assert len(asked) == 2  # asked before each chunk: the second one never ran
    codes = encode_images(model.config, model.state_dict(), images)
    np.testing.assert_allclose(codes, model.encode(images.float() / 255).detach().numpy(), atol=1e-5)


def test_a_map_says_which_side_is_which_and_what_its_score_means(latent):
    text = latent.describe("digit", 10)
    assert latent.pixel_method == "pca" and 0 < latent.pixel_explained < 1
    assert "Codes: PCA of the 6-value codes (" in text and "Pixels: PCA of the 784 pixel values (" in text
    assert f"separation {latent.pixel_score:.3f}" in text and "0.1: mixed" in text
    moved = latent.with_pixels(latent.points.copy(), 0.5, "tsne")
    assert moved.pixel_title == "t-SNE of pixels" and "Pixels: t-SNE of the 784 pixel values, separation 0.500" in (
        moved.describe()
    )
    np.testing.assert_allclose(moved.pixels()[3], latent.images[3].reshape(-1).float().numpy() / 255, atol=1e-6)
