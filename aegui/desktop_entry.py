"""An applications-menu entry for the current user (freedesktop.org): a .desktop file whose Exec runs this
installation, and the icon at the usual sizes (PNGs rendered from resources/aegui.svg by `render_icon`
and shipped, so that installing needs no Qt and no screen; a test checks they match the SVG).
`aegui install-desktop` writes them, `--uninstall` removes exactly what it wrote. (macOS and Windows: see
the README.)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from aegui import __version__

APP_ID = "aegui"  # the .desktop file's name, the icon's name and the window's desktop file name
ICON_SIZES = (48, 64, 128, 256)
RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")  # characters that make an Exec argument need quotes


def data_home() -> Path:
    """$XDG_DATA_HOME, or ~/.local/share."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _quoted(argument: str) -> str:
    """One Exec argument, quoted as the Desktop Entry Specification says when it must be."""
    if not any(character in RESERVED for character in argument):
        return argument
    escaped = argument.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


def exec_line() -> str:
    """This installation's Python running aegui (the menu entry starts the aegui it was installed from)."""
    return " ".join(_quoted(argument) for argument in (sys.executable, "-m", "aegui"))


def entry_text() -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.5",
        "Name=aegui",
        "GenericName=Autoencoder studio",
        "Comment=Train an autoencoder on handwritten digits, then draw and see what it makes of them",
        f"Exec={exec_line()} %f",  # (a file it is given opens in the window: aegui FILE)
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Education;Science;ArtificialIntelligence;",
        "Keywords=autoencoder;neural network;MNIST;digits;machine learning;",
        f"StartupWMClass={APP_ID}",
        f"X-aegui-Version={__version__}",
        "",
    ])  # fmt: skip


def paths(home: Path) -> list[Path]:
    """Every file the entry consists of (what install writes and uninstall removes)."""
    icons = home / "icons" / "hicolor"
    return [home / "applications" / f"{APP_ID}.desktop",
            *(icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png" for size in ICON_SIZES),
            icons / "scalable" / "apps" / f"{APP_ID}.svg"]  # fmt: skip


def icon_file(size: int) -> str:
    return f"aegui-{size}.png"


def render_icon(size: int):
    """The SVG icon rendered at size x size (a QImage; needs a QGuiApplication)."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from aegui.resources import resource_path

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(resource_path("aegui.svg"))).render(painter)
    painter.end()
    return image


def install(home: Path | None = None) -> list[Path]:
    """Write the entry and its icons; return what was written."""
    from aegui.resources import resource_path

    sources = [resource_path(icon_file(size)) for size in ICON_SIZES] + [resource_path("aegui.svg")]
    if any(source is None for source in sources):
        raise OSError("the icons are missing from this installation (resources/aegui-*.png, aegui.svg)")
    written = paths(home or data_home())
    for target in written:
        target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(written[0], entry_text().encode())
    for source, target in zip(sources, written[1:], strict=True):
        _write_atomically(target, source.read_bytes())
    return written


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove the entry and its icons (nothing else); return what was removed."""
    removed = []
    for path in paths(home or data_home()):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
