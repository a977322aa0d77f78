"""Text from a person's data (file names, labels, class and run names) made safe where it goes: a CSV cell that
a spreadsheet will not run as a formula (`csv_cell`, read back by `from_csv_cell`), and a line for the terminal
that cannot move the cursor, clear the screen, reverse the text or fail to encode (`terminal_text`)."""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet takes for a formula (OWASP's list)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_QUOTED = re.compile(r"'+[=+\-@\t\r]")  # a text that, quoted once more, reads back as itself
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls and DEL, bidirectional marks and overrides, line and paragraph separators, surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def csv_cell(text: str) -> str:
    """A text cell for a CSV file: one that a spreadsheet would take for a formula (it starts with =, +, -, @, a
    tab or a carriage return) gets a leading ', OWASP's escape, as does one that would otherwise read back
    wrong; a plain number is left a number. Bytes that were not UTF-8 (kept by os as surrogates) become �."""
    text = _SURROGATE.sub("\ufffd", str(text))
    if _NUMBER.fullmatch(text):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) or _QUOTED.match(text) else text


def from_csv_cell(text: str) -> str:
    """The text a `csv_cell` was written from."""
    return text[1:] if _QUOTED.match(text) else text


def _visible(character: str, keep_newlines: bool) -> str:
    if character == "\n" and keep_newlines:
        return character
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os keeps it: shown as that byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def terminal_text(text: str, keep_newlines: bool = False) -> str:
    """`text` as it can be printed: control characters (C0, DEL, C1: an escape sequence cannot clear the screen),
    bidirectional overrides, line separators and bytes that were not UTF-8 written out as escapes (\\x1b,
    \\u202e, \\xff); newlines kept if asked (a message of several lines)."""
    return _UNSAFE.sub(lambda found: _visible(found.group(), keep_newlines), str(text))


def shown(path: object) -> str:
    """A path (or any name) as the terminal is given it: `terminal_text` of its text."""
    return terminal_text(str(path))


_STREAM_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def stream_text(text: str) -> str:
    """`terminal_text` for whole lines of output: newlines, carriage returns (a progress line) and tabs kept,
    every other control character, bidi override and undecodable byte written out as an escape."""
    return _STREAM_UNSAFE.sub(lambda found: _visible(found.group(), False), text)
