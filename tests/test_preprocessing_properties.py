"""Property-based tests: strokes_to_image never crashes and always gives a valid image or the empty one."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aegui import strokes_to_image

coordinate = st.floats(allow_nan=True, allow_infinity=True, width=64)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
stroke = st.lists(st.tuples(coordinate, coordinate), max_size=40)


def valid(image) -> bool:
    return (
        image.shape == (28, 28)
        and image.dtype == np.float32
        and bool(np.isfinite(image).all())
        and image.min() >= 0
        and image.max() <= 1
    )


@settings(max_examples=300, deadline=None)
@given(strokes=st.lists(stroke, max_size=8), canvas=st.one_of(st.integers(1, 4000), st.tuples(
    st.integers(1, 4000), st.integers(1, 4000))))  # fmt: skip
def test_any_strokes_give_a_valid_image(strokes, canvas):
    assert valid(strokes_to_image(strokes, canvas))


@settings(max_examples=200, deadline=None)
@given(points=st.lists(st.tuples(finite, finite), min_size=1, max_size=40))
def test_finite_ink_is_never_lost(points):
    image = strokes_to_image([points], 320)
    assert valid(image) and image.sum() > 0.5
    rows, cols = np.indices(image.shape)
    centre = np.array([(image * rows).sum(), (image * cols).sum()]) / image.sum()
    assert np.all(np.abs(centre - 14.0) < 1.0)


def test_single_points_and_huge_coordinates():
    for strokes in ([[(5.0, 5.0)]], [[(1e300, -1e300), (-1e300, 1e300)]], [[(-50.0, -50.0)]], [[(0, 0)] * 1000]):
        assert valid(strokes_to_image(strokes, 320))


def test_ten_thousand_point_stroke():
    angles = np.linspace(0, 40 * np.pi, 10_000)
    spiral = np.stack([160 + angles * np.cos(angles), 160 + angles * np.sin(angles)], 1)
    image = strokes_to_image([spiral], 320)
    assert valid(image) and image.sum() > 10
