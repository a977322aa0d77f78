"""Start aegui: `python main.py` opens the window; `python main.py train --preset seed` trains headless."""

from aegui.cli import program

if __name__ == "__main__":
    raise SystemExit(program())
