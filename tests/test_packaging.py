"""Packaging rules that protect users: the PySide6 pin (PYSIDE-3474) and a Qt-free core."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import REPO


def _pyside_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"] if text.lower().startswith("pyside6")]


@pytest.mark.parametrize(("python", "allows_612"), [("3.10", False), ("3.11", False), ("3.12", True), ("3.13", True)])
def test_pyside_612_is_excluded_below_python_312(python, allows_612):
    active = [r for r in _pyside_requirements() if r.marker is None or r.marker.evaluate({"python_version": python})]
    assert len(active) == 1 and active[0].name == "PySide6-Essentials"
    assert (Version("6.12.0") in active[0].specifier) is allows_612
    assert Version("6.11.3") in active[0].specifier


def test_installed_pyside_respects_the_pin():
    import PySide6

    if sys.version_info < (3, 12):
        assert Version(PySide6.__version__) < Version("6.12")


def test_many_void_calls_do_not_crash_qt():
    """PYSIDE-3474: 6.12.x on Python < 3.12 died with 'none_dealloc' after a few hundred thousand calls."""
    code = (
        "from PySide6.QtGui import QPainterPath\n"
        "path = QPainterPath()\n"
        "for i in range(1_000_000):\n"
        "    path.lineTo(i % 100, i % 37)\n"
        "print(path.elementCount())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "1000000"


def test_import_contracts_are_kept():
    """The core has no Qt; views never import the session, its parts or a controller; the session's parts
    are its own; nothing below the window's frame imports it."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), str(REPO / "pyproject.toml")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The core has no Qt KEPT" in result.stdout
    assert "Views show and emit" in result.stdout and " BROKEN" not in result.stdout


def test_importing_core_loads_no_qt_and_aegui_is_light():
    code = (
        "import sys, aegui\n"
        "assert 'torch' not in sys.modules, 'import aegui must stay light'\n"
        "import aegui.core.files.checkpoints, aegui.core.data.datasets, aegui.core.training.trainer\n"
        "import aegui.core.model.presets, aegui.cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6', 'pyqtgraph', 'superqt'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
