"""`aegui install-desktop`: a desktop entry and icons for the current user, whose Exec runs this aegui;
`--uninstall` removes exactly what it wrote."""

import configparser
import shlex
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from aegui import __version__, desktop_entry
from aegui.cli import main


def read_entry(path):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(path.read_text())
    return parser["Desktop Entry"]


def test_install_writes_an_entry_that_runs_this_aegui_and_uninstall_removes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    other = tmp_path / "applications" / "someone-else.desktop"
    other.parent.mkdir(parents=True)
    other.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=true\n")
    assert main(["install-desktop"]) == 0
    desktop = tmp_path / "applications" / "aegui.desktop"
    entry = read_entry(desktop)
    assert entry["Type"] == "Application" and entry["Name"] == "aegui" and entry["Icon"] == "aegui"
    assert entry["Categories"].endswith(";") and "Education" in entry["Categories"].split(";")
    for size in desktop_entry.ICON_SIZES:
        icon = tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "aegui.png"
        assert Image.open(icon).size == (size, size)
    command = shlex.split(entry["Exec"])
    assert command[-1] == "%f"  # a launcher puts the file it opens there (aegui FILE), or nothing
    ran = subprocess.run([*command[:-1], "--version"], capture_output=True, text=True, timeout=120)
    assert ran.stdout.strip() == f"aegui {__version__}"
    if shutil.which("desktop-file-validate"):
        checked = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert main(["install-desktop", "--uninstall"]) == 0
    assert "Removed 6 files." in capsys.readouterr().out
    assert not desktop.exists() and not list((tmp_path / "icons").rglob("aegui.*")) and other.exists()
    assert main(["install-desktop", "--uninstall"]) == 0  # nothing left: says so, no error
    assert "no desktop entry to remove" in capsys.readouterr().out


@pytest.mark.parametrize("argument", ["/opt/my apps/python3", 'a"b', "plain"])
def test_exec_arguments_are_quoted_as_the_specification_says(argument):
    assert shlex.split(desktop_entry._quoted(argument)) == [argument]


def test_a_folder_that_cannot_be_written_is_a_clear_message(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not a folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert main(["install-desktop"]) == 2
    assert "Could not write the desktop entry" in capsys.readouterr().err


def test_the_shipped_icons_are_the_svg_rendered(qapp, tmp_path):
    from aegui.resources import resource_path

    for size in desktop_entry.ICON_SIZES:
        shipped = Image.open(resource_path(desktop_entry.icon_file(size))).convert("RGBA")
        assert desktop_entry.render_icon(size).save(str(tmp_path / "fresh.png"), "PNG")
        fresh = Image.open(tmp_path / "fresh.png").convert("RGBA")
        difference = np.abs(np.asarray(shipped.convert("RGBa"), int) - np.asarray(fresh.convert("RGBa"), int))
        assert difference.max() <= 2, f"resources/aegui-{size}.png is not the SVG: re-render it (render_icon)"
