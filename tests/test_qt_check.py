"""Before Qt starts on X11: the libraries its xcb plugin lacks, named with the packages that hold them."""

import pytest

from aegui import qt_check
from aegui.cli import main

LDD = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_missing_libraries_are_read_from_ldd_and_explained_for_debian_and_fedora():
    missing = qt_check.missing_libraries(LDD)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    text = qt_check.explain(missing)
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in text
    assert "sudo dnf install xcb-util-keysyms xcb-util-wm" in text


@pytest.mark.parametrize(
    ("environ", "xcb"),
    [({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"}, False), ({"QT_QPA_PLATFORM": "xcb"}, True),
     ({"QT_QPA_PLATFORM": "wayland;xcb"}, False), ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, False)],
)  # fmt: skip
def test_xcb_is_checked_only_when_qt_will_use_it(environ, xcb):
    assert qt_check.uses_xcb(environ) is xcb


def test_the_real_plugin_is_checked_on_this_machine():
    """What ldd says of the installed plugin here: a list (empty where every library is installed)."""
    missing = qt_check.missing_libraries()
    assert all(name.endswith(tuple(f".so.{n}" for n in range(10))) for name in missing)


def test_the_window_command_says_what_to_install_instead_of_aborting(monkeypatch, capsys):
    monkeypatch.setattr(qt_check, "uses_xcb", lambda: True)
    monkeypatch.setattr(qt_check, "missing_libraries", lambda: ["libxcb-icccm.so.4"])
    assert main(["gui"]) == 3
    assert "sudo apt install libxcb-icccm4" in capsys.readouterr().err
