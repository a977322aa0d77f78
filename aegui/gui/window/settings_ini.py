"""QSettings' INI format, read and written without QSettings: its sections, escapes, quotes, lists and
`@ByteArray(...)`, and nothing that would be rebuilt as an object (`@Variant(...)`, `@Rect(...)`...: PySide6
unpickles Python objects stored that way). Values come out as a str, a list of str, a QByteArray or None."""

from __future__ import annotations

import numbers
import string
from typing import Any

from PySide6.QtCore import QByteArray

Raw = str | list[str]  # a value as the file holds it, unescaped: the text (or texts) QSettings would decode
UNSAFE = object()  # a value QSettings would rebuild as an object: never read here
_OBJECTS = ("@Variant(", "@DateTime(", "@Rect(", "@Size(", "@Point(")
_READ_ESCAPES = dict(zip(b"abfnrtv\"?'\\", "\a\b\f\n\r\t\v\"?'\\", strict=True))
_WRITE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
                  '"': '\\"', "\\": "\\\\"}  # fmt: skip
_KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-.")


def parse_ini(data: bytes) -> dict[str, Raw]:
    """The keys and raw values of an INI file in QSettings' format (its sections, escapes, quotes, lists and
    comments, as QSettings reads them); nothing is decoded into objects."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    values: dict[str, Raw] = {}
    section = ""
    for line, equals in _lines(data):
        if line.startswith(b"["):
            end = line.find(b"]")
            name = (line[1:end] if end != -1 else line[1:]).strip()
            if name.lower() == b"general":
                section = ""
            elif name.lower() == b"%general":
                section = name[1:].decode("latin-1") + "/"
            else:
                section = _unescape_key(name) + "/"
        elif equals != -1:
            key = section + _unescape_key(line[:equals].strip())
            if key and key == normal(key):  # (QSettings never finds "a//b" or "a/": it looks for "a/b", "a")
                values[key] = _unescape_value(line[equals + 1 :])
    return values


def _lines(data: bytes):
    """Each logical line (without its end) and where its first '=' is (-1: none); comments left out."""
    size, position = len(data), 0
    while position < size:
        start = position
        while start < size and data[start] in b" \t\r\n":
            start += 1
        index, in_quotes, equals = start, False, -1
        while index < size:
            character = data[index]
            index += 1
            if character == 0x3D:  # '=': the first outside quotes parts key and value
                equals = index - 1 - start if equals == -1 and not in_quotes else equals
            elif character in b"\r\n" and not in_quotes:
                index -= 1
                break
            elif character == 0x5C and index < size:  # '\': the next character (a line end, too) is escaped
                index += 2 if data[index : index + 2] in (b"\r\n", b"\n\r") else 1
            elif character == 0x22:  # '"'
                in_quotes = not in_quotes
            elif character == 0x3B:  # ';': a comment to the line's end, or the end of a value
                if index == start + 1:
                    while index < size and data[index] not in b"\r\n":
                        index += 1
                    start, equals = index, -1
                    break
                if not in_quotes:
                    index -= 1
                    break
        position = max(index, position + 1)
        if index > start:
            yield data[start:index], equals


def _unescape_key(key: bytes) -> str:
    text, result, index = key.decode("utf-8", "replace"), [], 0
    while index < len(text):
        character = text[index]
        if character == "\\":
            result.append("/")
            index += 1
            continue
        width = 4 if text[index + 1 : index + 2] == "U" else 2
        first = index + (2 if width == 4 else 1)
        digits = text[first : first + width].strip()  # (spaces around the digits are taken, as Qt takes them)
        if character == "%" and first + width <= len(text) and digits and all(c in string.hexdigits for c in digits):
            result.append(chr(int(digits, 16)))
            index = first + width
        else:
            result.append(character)
            index += 1
    return "".join(result)


def _unescape_value(raw: bytes) -> Raw:
    """QSettings' reading of a value: escapes, quotes, and a list where unquoted commas part it."""
    items: list[str] | None = None
    text, limit, quoted, in_quotes, chop = "", 0, False, False, True
    size = len(raw)
    index = _skip_spaces(raw, 0)
    while index < size:
        character = raw[index]
        if character == 0x5C:  # '\'
            index += 1
            if index >= size or raw[index:] == b"x":
                chop = False  # (a value ending in a lone backslash, or one and x, keeps its spaces, as in QSettings)
                break
            character = raw[index]
            index += 1
            if character in _READ_ESCAPES:
                text += _READ_ESCAPES[character]
            elif character == 0x78 or 0x30 <= character <= 0x37:  # \x hex, or octal
                digits = b"0123456789abcdefABCDEF" if character == 0x78 else b"01234567"
                first = index if character == 0x78 else index - 1
                end = first
                while end < size and raw[end] in digits:
                    end += 1
                if end > first:
                    text += chr(int(raw[first:end], 16 if character == 0x78 else 8) & 0xFFFF)
                index = end
            elif character in b"\r\n" and index < size and raw[index] in b"\r\n" and raw[index] != character:
                index += 1  # (an escaped line end continues the value)
            limit = len(text)
        elif character == 0x22:  # '"'
            index += 1
            quoted, in_quotes = True, not in_quotes
            if not in_quotes:
                index = _skip_spaces(raw, index)
                limit = len(text)
        elif character == 0x2C and not in_quotes:  # ','
            items = [] if items is None else items
            items.append(text if quoted else _chop(text, limit))
            text, limit, quoted = "", 0, False
            index = _skip_spaces(raw, index + 1)
        else:
            end = index + 1
            while end < size and raw[end] not in b'\\",':
                end += 1
            text += raw[index:end].decode("utf-8", "replace")
            index = end
    text = text if quoted or not chop else _chop(text, limit)
    if items is None:
        return _whole(text)
    return [_whole(item) for item in [*items, text]]


def _skip_spaces(raw: bytes, index: int) -> int:
    while index < len(raw) and raw[index] in b" \t":
        index += 1
    return index


def _chop(text: str, limit: int) -> str:
    """`text` without the spaces and tabs at its end, but not those before `limit` (escaped or quoted)."""
    return text[:limit] + text[limit:].rstrip(" \t")


def _whole(text: str) -> str:
    """Pairs of UTF-16 halves (escaped one by one) joined into their characters."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def decode(raw: Raw) -> Any:
    """A raw value as QSettings would give it, for plain values only: else UNSAFE."""
    if isinstance(raw, list):
        items = [decode(item) for item in raw]
        return UNSAFE if any(item is UNSAFE for item in items) else items
    if raw.startswith("@"):
        if raw.endswith(")"):
            if raw.startswith("@ByteArray("):
                return QByteArray(raw[11:-1].encode("latin-1", "replace"))
            if raw.startswith("@String("):
                return raw[8:-1]
            if raw == "@Invalid()":
                return None
            if raw.startswith(_OBJECTS):
                return UNSAFE
        if raw.startswith("@@"):
            return raw[1:]
    return raw


# --- the file: writing it ---


def encode(value: Any) -> Raw:
    """A value as the file keeps it (as QSettings writes it); TypeError for anything but plain values."""
    if value is None:
        return "@Invalid()"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, str):
        return "@" + value if value.startswith("@") else value
    if isinstance(value, QByteArray | bytes | bytearray):
        return "@ByteArray(" + bytes(QByteArray(value).data()).decode("latin-1") + ")"
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return [encode(item) for item in value] if value else "@Invalid()"  # type: ignore[misc]
    raise TypeError(f"settings keep only plain values (text, numbers, lists of text, bytes), not {type(value)}")


def format_ini(values: dict[str, Raw]) -> str:
    """The INI text of `values`: General's keys first, then one section per first part of the keys."""
    sections: dict[str, list[str]] = {}
    for key in sorted(values):
        section, _, name = key.partition("/")
        if not name:
            section, name = "", key
        raw = values[key]
        text = ", ".join(_escape(item) for item in raw) if isinstance(raw, list) else _escape(raw)
        sections.setdefault(section, []).append(f"{_escape_key(name)}={text}")
    blocks = []
    for section in sorted(sections, key=lambda name: (name != "", name)):
        title = _escape_key(section)
        title = "General" if not section else "%" + title if title.lower() == "general" else title
        blocks.append(f"[{title}]\n" + "\n".join(sections[section]) + "\n")
    return "\n".join(blocks)


def _escape_key(key: str) -> str:
    result = []
    for character in key:
        code = ord(character)
        if character == "/":
            result.append("\\")
        elif character in _KEY_CHARACTERS:
            result.append(character)
        else:
            result.append(f"%{code:02X}" if code <= 0xFF else f"%U{code:04X}")
    return "".join(result)


def _escape(text: str) -> str:
    """QSettings' writing of a text: escapes, and quotes where it holds , ; = or starts or ends in a space."""
    as_bytes = text.startswith(("@ByteArray(", "@Variant(", "@DateTime("))
    result, quote, after_number = [], False, False
    for character in text:
        code = ord(character)
        quote = quote or character in ",;="
        if after_number and character in string.hexdigits:
            result.append(f"\\x{code:x}")
            continue
        after_number = False
        if character in _WRITE_ESCAPES:
            result.append(_WRITE_ESCAPES[character])
        elif code <= 0x1F or (as_bytes and code >= 0x7F) or 0xD800 <= code <= 0xDFFF:
            result.append(f"\\x{code:x}")
            after_number = True
        else:
            result.append(character)
    escaped = "".join(result)
    return f'"{escaped}"' if quote or escaped.startswith(" ") or escaped.endswith(" ") else escaped


def normal(key: str) -> str:
    """A key as QSettings spells it: '/' between parts, none at either end or doubled ('\\' is '/')."""
    return "/".join(part for part in key.replace("\\", "/").split("/") if part)
