"""Before Qt starts on X11: the libraries its xcb plugin lacks, named with the packages that hold them."""

import re
import shutil
import subprocess

import pytest

from aegui import qt_check
from aegui.cli import main

LDD = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""

# what `ldd` found missing for the xcb plugin in a fresh `debootstrap --variant=minbase bookworm` (2026-11-29)
MINIMAL_DEBIAN_LACKS = (
    "libEGL.so.1",
    "libGL.so.1",
    "libX11-xcb.so.1",
    "libX11.so.6",
    "libdbus-1.so.3",
    "libfontconfig.so.1",
    "libfreetype.so.6",
    "libglib-2.0.so.0",
    "libgthread-2.0.so.0",
    "libxcb-cursor.so.0",
    "libxcb-icccm.so.4",
    "libxcb-image.so.0",
    "libxcb-keysyms.so.1",
    "libxcb-randr.so.0",
    "libxcb-render-util.so.0",
    "libxcb-render.so.0",
    "libxcb-shape.so.0",
    "libxcb-shm.so.0",
    "libxcb-sync.so.1",
    "libxcb-util.so.1",
    "libxcb-xfixes.so.0",
    "libxcb-xkb.so.1",
    "libxcb.so.1",
    "libxkbcommon-x11.so.0",
    "libxkbcommon.so.0",
)


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
    """ldd reads the installed plugin here: it lists the plugin's libraries (xcb's among them), and what is
    missing (nothing where every library is installed) is what ldd did not find among those."""
    ldd = shutil.which("ldd")
    if ldd is None:
        pytest.skip("no ldd here")
    files = qt_check._xcb_plugin_files()
    assert files, "the installed PySide6's xcb plugin was not found"
    output = subprocess.run([ldd, *map(str, files)], capture_output=True, text=True, timeout=60).stdout
    needed = {line.split("=>")[0].strip(): line.split("=>")[1].strip() for line in output.splitlines() if "=>" in line}
    assert "libxcb.so.1" in needed, output  # the plugin's own libraries, read
    assert all(re.fullmatch(r"[\w.+-]+\.so(\.\d+)*", name) for name in needed), needed  # library names, no more
    missing = qt_check.missing_libraries()
    assert missing == sorted(name for name, found in needed.items() if found == "not found")


def test_the_window_command_says_what_to_install_instead_of_aborting(monkeypatch, capsys):
    monkeypatch.setattr(qt_check, "uses_xcb", lambda: True)
    monkeypatch.setattr(qt_check, "missing_libraries", lambda: ["libxcb-icccm.so.4"])
    assert main(["gui"]) == 3
    assert "sudo apt install libxcb-icccm4" in capsys.readouterr().err


def test_everything_a_minimal_debian_lacks_has_its_packages():
    """Each library names its own packages (not the library's file name as a stand-in)."""
    assert [name for name in MINIMAL_DEBIAN_LACKS if name not in qt_check.PACKAGES] == []
