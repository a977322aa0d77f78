"""Icons and other files the window uses (installed as the package aegui.resources)."""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def resource_path(name: str) -> Path | None:
    path = FOLDER / name
    return path if path.exists() else None
