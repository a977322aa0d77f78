"""`aegui install-desktop [--uninstall]`: aegui in the applications menu of a Linux desktop."""

from __future__ import annotations

import argparse

from aegui.core.errors import AeguiError
from aegui.core.words import count


def add_parser(commands) -> None:
    desktop = commands.add_parser("install-desktop", help="add aegui to your applications menu (Linux desktops)",
                                  description="Write a desktop entry and icons for the current user into "
                                  "$XDG_DATA_HOME (~/.local/share); its Exec runs this installation.")  # fmt: skip
    desktop.add_argument("--uninstall", action="store_true", help="remove what install-desktop wrote")


def run(args: argparse.Namespace) -> int:
    from aegui import desktop_entry

    try:
        done = desktop_entry.uninstall() if args.uninstall else desktop_entry.install()
    except OSError as error:
        raise AeguiError(f"Could not write the desktop entry: {error.strerror or error}.") from error
    if args.uninstall:
        print(f"Removed {count(len(done), 'file')}." if done else "There was no desktop entry to remove.")
    else:
        print(f"aegui is in your applications menu ({done[0]}); it starts {desktop_entry.exec_line()}.")
    return 0
