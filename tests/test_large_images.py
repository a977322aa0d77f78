"""A large image is reduced before any float copy of it (issue "Nothing lost, nothing injected"): a 124 KB
7999x7999 16-bit PNG took 1.5 GB (2 to 3.5 GB with the fitting after it) to read, in full-size float64
copies; now it costs about its decoded 128 MB, and reads as it did."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SIDE = 7999
MOST_GROWTH_MB = 600  # measured for the four reads below: 140 MB now, 2,444 MB before

MEASURE = """
import json, resource, sys
import numpy as np
from aegui.core.data.image_files import Fitting, image_to_input, read_image

path, out = sys.argv[1], sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
grey = read_image(path)
colour = read_image(path, color=True)
whole = image_to_input(path, Fitting(64, False, "whole"))
digit = image_to_input(path)
growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024  # (Linux: kB)
np.savez(out, grey=grey, colour=colour, whole=whole, digit=digit)
print(json.dumps({"growth_mb": growth_mb}))
"""


def _write_large_png(path: Path) -> None:
    """7999x7999 16-bit grey, black but for a bright bar across the top half (rows 1000 to 1399, columns
    2000 to 5999) and a half-bright one down the left (rows 5000 to 6999, columns 1000 to 1399): ~130 KB."""
    pixels = np.zeros((SIDE, SIDE), np.uint16)
    pixels[1000:1400, 2000:6000] = 60000
    pixels[5000:7000, 1000:1400] = 30000
    Image.fromarray(pixels).save(path)
    del pixels


def _inside(reduced: np.ndarray, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
    """The pixels of a reduced image wholly inside a block of the full-size one (its edges left out)."""
    scale = reduced.shape[0] / SIDE
    return reduced[round(rows[0] * scale) + 1 : round(rows[1] * scale) - 1,
                   round(cols[0] * scale) + 1 : round(cols[1] * scale) - 1]  # fmt: skip


def test_a_large_16_bit_png_is_read_in_little_memory_and_correctly(tmp_path):
    path = tmp_path / "large.png"
    _write_large_png(path)
    with Image.open(path) as image:
        assert image.mode.startswith("I") and image.size == (SIDE, SIDE)
    assert path.stat().st_size < 400_000
    out = tmp_path / "read.npz"
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path), str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    growth = json.loads(done.stdout.splitlines()[-1])["growth_mb"]
    assert growth < MOST_GROWTH_MB, f"reading it took {growth:.0f} MB more"
    read = np.load(out)
    grey, colour, whole, digit = read["grey"], read["colour"], read["whole"], read["digit"]
    # reduced to 512 on its longer side, stretched from its darkest (0) to its brightest (1)
    assert grey.shape == (512, 512) and grey.dtype == np.float32
    assert np.allclose(_inside(grey, (1000, 1400), (2000, 6000)), 1.0, atol=1e-3)
    assert np.allclose(_inside(grey, (5000, 7000), (1000, 1400)), 0.5, atol=0.01)
    assert grey[:50].max() == 0 and grey[200:300, 200:500].max() == 0 and grey[460:].max() == 0
    assert abs(float(grey.mean()) - (400 * 4000 + 0.5 * 2000 * 400) / SIDE**2) < 0.002
    assert colour.shape == (512, 512, 3) and np.array_equal(colour[..., 1], grey)
    # fitted whole at 64: the bar at rows 8 to 11, columns 16 to 47
    assert whole.shape == (64, 64)
    assert whole[9:11, 17:47].min() > 0.95 and whole[:7].max() < 0.05 and whole[13:38].max() < 0.05
    assert digit.shape == (28, 28) and digit.max() > 0.5  # fitted by content, as a digit: ink in the field
