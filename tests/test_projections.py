"""Laying codes out on a plane: PCA, t-SNE (openTSNE), UMAP (optional), placing new codes, decoding spots."""

import sys
import types

import numpy as np
import pytest

from aegui.core.analysis import projections
from aegui.core.analysis.latent import knn_accuracy
from aegui.core.analysis.projections import ProjectionUnavailable, embed, unavailable
from aegui.core.errors import Cancelled


@pytest.fixture(scope="module")
def pixels(sample):
    """600 test digits as 784-value vectors: PCA hardly separates them, t-SNE does."""
    return sample.test_images[:600].reshape(600, -1).float().numpy() / 255, sample.test_labels[:600].numpy()


def test_tsne_separates_far_better_than_pca_and_reports_progress(pixels):
    codes, labels = pixels
    seen = []
    tsne = embed(codes, "tsne", progress=seen.append)
    linear = embed(codes, "pca")
    assert tsne.points.shape == (600, 2) and tsne.linear is None and tsne.title == "t-SNE of codes"
    assert knn_accuracy(tsne.points, labels) > knn_accuracy(linear.points, labels) + 0.25
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 10
    again = embed(codes, "tsne")  # seeded: the same map
    np.testing.assert_allclose(again.points, tsne.points, atol=1e-4)


def test_a_nonlinear_map_places_new_codes_by_their_neighbours_and_decodes_spots(pixels):
    codes, _labels = pixels
    tsne = embed(codes[:500], "tsne")
    np.testing.assert_allclose(tsne.place(codes[:20]), tsne.points[:20], atol=1e-2)  # a laid-out code: its spot
    placed = tsne.place(codes[500:])  # new codes land among the others
    low, high = tsne.points.min(0), tsne.points.max(0)
    assert ((placed >= low) & (placed <= high)).all()
    np.testing.assert_allclose(tsne.code_at(tsne.points[3]), codes[3], atol=1e-2)  # a spot: its code
    middle = tsne.code_at((tsne.points[3] + tsne.points[4]) / 2)
    assert middle.shape == (784,) and np.isfinite(middle).all()


def test_pca_and_two_value_codes_stay_linear_and_exact(pixels):
    codes, _ = pixels
    linear = embed(codes, "pca")
    np.testing.assert_allclose(linear.place(codes[:5]), linear.points[:5], atol=1e-4)
    assert "PCA of the 784-value codes (" in linear.describe()
    flat = embed(codes[:, :2], "tsne")  # 2 values: shown as they are, whatever was asked
    assert flat.method == "pca" and flat.title == "codes" and np.array_equal(flat.points, codes[:, :2])
    np.testing.assert_allclose(flat.code_at(np.array([0.3, 0.4])), [0.3, 0.4])


def test_tsne_gives_up_when_cancelled(pixels):
    codes, _ = pixels
    with pytest.raises(Cancelled):
        embed(codes, "tsne", cancelled=lambda: True)


def test_umap_without_its_extra_says_how_to_get_it(pixels, monkeypatch):
    monkeypatch.setattr(projections, "_installed", lambda module: module != "umap")
    assert "pip install 'aegui[maps]'" in unavailable("umap")
    with pytest.raises(ProjectionUnavailable, match=r"aegui\[maps\]"):
        embed(pixels[0], "umap")
    assert "Unknown projection" in unavailable("isomap")


def test_umap_when_installed_is_called_seeded(pixels, monkeypatch):
    calls = []

    class FakeUMAP:  # umap-learn's interface (the real one compiles for ~20 s on its first use)
        def __init__(self, **options):
            calls.append(options)

        def fit_transform(self, codes):
            return codes[:, :2] * 2

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    monkeypatch.setattr(projections, "_installed", lambda module: True)
    laid_out = embed(pixels[0], "umap", seed=3)
    assert calls[0]["random_state"] == 3 and laid_out.method == "umap" and laid_out.title == "UMAP of codes"
    np.testing.assert_allclose(laid_out.points, pixels[0][:, :2] * 2)
