"""Words for numbers, as people write them: "1 epoch", "2 epochs", "1,000 images"."""

from __future__ import annotations


def count(number: int, noun: str, plural: str = "") -> str:
    """`number` with `noun`, plural unless it is one (thousands separated)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
