"""Before Qt starts on an X11 desktop: the system libraries its xcb platform plugin needs and the machine
lacks. Without them Qt aborts with "Could not load the Qt platform plugin "xcb"", naming a library that
is often not the missing one; here `ldd` on the plugin names them all, with the packages that hold them."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# library -> (Debian/Ubuntu package, Fedora package): the xcb plugin's dependencies a minimal system may lack
PACKAGES = {
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
}


def uses_xcb(environ: dict[str, str] | None = None) -> bool:
    """Whether Qt will start on X11 (xcb): asked for by QT_QPA_PLATFORM, or its default on an X11 session."""
    environ = os.environ if environ is None else environ
    asked = environ.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    return sys.platform.startswith("linux") and bool(environ.get("DISPLAY")) and not environ.get("WAYLAND_DISPLAY")


def _xcb_plugin_files() -> list[Path]:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return []
    qt = Path(spec.origin).parent / "Qt"
    return [path for path in (qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6")
            if path.exists()]  # fmt: skip


def missing_libraries(ldd_output: str | None = None) -> list[str]:
    """The libraries `ldd` reports as not found for the xcb plugin (sorted), or [] when it cannot tell."""
    if ldd_output is None:
        ldd = shutil.which("ldd")
        files = _xcb_plugin_files()
        if ldd is None or not files:
            return []
        try:
            ldd_output = subprocess.run([ldd, *map(str, files)], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return []
    return sorted({line.split("=>")[0].strip() for line in ldd_output.splitlines() if "=> not found" in line})


def explain(missing: list[str]) -> str:
    """What to install, for Debian/Ubuntu and Fedora, in a few lines."""
    debian = sorted({PACKAGES.get(name, (name, name))[0] for name in missing})
    fedora = sorted({PACKAGES.get(name, (name, name))[1] for name in missing})
    return (
        f"aegui cannot open its window: Qt's X11 plugin needs {', '.join(missing)}, which this system lacks.\n"
        f"  Debian/Ubuntu: sudo apt install {' '.join(debian)}\n"
        f"  Fedora:        sudo dnf install {' '.join(fedora)}\n"
        "Then start aegui again. (The command line works without them: aegui train --help.)"
    )


HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def display_problem(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """On Linux (and other X11/Wayland systems) without a display, what to say instead of starting Qt, which
    would abort the process (signal 6, a core dump) naming a library that is in fact installed. None when
    there is a display, or Qt is asked for a platform that needs none."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    asked = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0]
    if asked in HEADLESS_PLATFORMS:
        return None
    if asked in ("", "xcb") and environ.get("DISPLAY"):
        return None
    if asked in ("", "wayland", "wayland-egl") and environ.get("WAYLAND_DISPLAY"):
        return None
    wanted = {"xcb": "DISPLAY is not set", "wayland": "WAYLAND_DISPLAY is not set"}.get(
        asked.split("-")[0], "neither DISPLAY nor WAYLAND_DISPLAY is set"
    )
    return (
        f"aegui cannot open its window: there is no display here ({wanted}).\n"
        "  Without a screen, the command line does the work: aegui train --help, aegui generate --help.\n"
        "  A window on a virtual screen: xvfb-run aegui (Debian/Ubuntu: sudo apt install xvfb).\n"
        "  Over SSH: ssh -X to forward the window to your own display."
    )
