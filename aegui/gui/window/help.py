"""Help › Documentation and Help › Keyboard shortcuts: the docs shipped with aegui (the README and docs/*.md,
read from the source folder or, when installed, from the package and its metadata), shown offline in a
window of their own, and the keys of every menu entry, read from the window's own actions when the page is
shown, so that the list cannot drift from them."""

from __future__ import annotations

import html
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QTextCursor
from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QMainWindow, QMenu, QTextBrowser, QWidget

import aegui

PACKAGE = Path(aegui.__file__).resolve().parent
CHECKOUT = PACKAGE.parent  # a source folder (and an editable install of one) has the docs beside the package
ORDER = ("install", "command-line", "export", "faults", "development", "benchmarks")  # the docs/*.md, in order
SHORTCUTS = "shortcuts"  # the name of the keyboard shortcuts' page


@dataclass(frozen=True)
class Document:
    name: str  # "README", a docs/*.md file's stem, or SHORTCUTS
    title: str
    text: str  # Markdown (HTML for the shortcuts)
    base: Path | None  # the folder its relative links and pictures are read from


def documents() -> list[Document]:
    """The README, then the docs, each titled by its first heading; none if this installation has none."""
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "docs").is_dir():
        base, readme = CHECKOUT, _read(CHECKOUT / "README.md")
    else:  # installed: the docs are package data (aegui/docs), the README is the package's description
        base, readme = PACKAGE, _description()
    found = [Document("README", _title(readme, "aegui"), readme, base)] if readme else []
    folder, rank = base / "docs", {stem: index for index, stem in enumerate(ORDER)}
    stems = sorted((path.stem for path in folder.glob("*.md")), key=lambda stem: (rank.get(stem, len(ORDER)), stem))
    for stem in stems:
        text = _read(folder / f"{stem}.md")
        if text:
            found.append(Document(stem, _title(text, stem), text, folder))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _description() -> str:
    try:
        return importlib.metadata.metadata("aegui").get_payload() or ""
    except importlib.metadata.PackageNotFoundError:
        return ""


def _title(text: str, fallback: str) -> str:
    return next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), fallback)


def shortcuts(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(menu, entry, keys) for every entry of the window's menus that has keys, in the menus' order."""
    found: list[tuple[str, str, str]] = []

    def visit(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                visit(action.menu(), f"{path} › {_plain(action.text())}")
            elif keys := [key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()]:
                found.append((path, _plain(action.text()), " or ".join(keys)))

    for action in window.menuBar().actions():
        if action.menu() is not None:
            visit(action.menu(), _plain(action.text()))
    return found


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def shortcuts_page(window: QMainWindow) -> Document:
    rows = "".join(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(entry)}</td>"
                   f"<td>{html.escape(menu)}</td></tr>" for menu, entry, keys in shortcuts(window))  # fmt: skip
    text = ("<h1>Keyboard shortcuts</h1><p>Every menu entry that has keys (this list is read from the menus).</p>"
            f"<table cellpadding='4'><tr><th align='left'>Keys</th><th align='left'>Does</th>"
            f"<th align='left'>Menu</th></tr>{rows}</table>")  # fmt: skip
    return Document(SHORTCUTS, "Keyboard shortcuts", text, None)


class HelpWindow(QDialog):
    """The docs, one at a time, with a list to choose from; links between them open here, links to the web in
    the desktop's browser (nothing is fetched here)."""

    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("helpWindow")
        self.setWindowTitle("aegui help")
        self._window = window
        self.pages: list[Document] = []
        self.list = QListWidget(objectName="helpPagesList")
        self.list.setMaximumWidth(220)
        self.browser = QTextBrowser(objectName="helpText")
        self.browser.setOpenLinks(False)
        self.list.setAccessibleName("Help pages")
        self.browser.setAccessibleName("Help text")
        layout = QHBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.browser, 1)
        self.list.currentRowChanged.connect(self._on_page_chosen)
        self.browser.anchorClicked.connect(self._on_link_clicked)
        self.resize(900, 620)

    def show_page(self, name: str = "README") -> None:
        """Show the window at a page (the docs are read afresh, and the shortcuts from the menus)."""
        self.pages = [*documents(), shortcuts_page(self._window)]
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([page.title for page in self.pages])
        self.list.blockSignals(False)
        names = [page.name for page in self.pages]
        self.list.setCurrentRow(names.index(name) if name in names else 0)
        self._on_page_chosen(self.list.currentRow())
        self.show()
        self.raise_()

    def page_name(self) -> str:
        row = self.list.currentRow()
        return self.pages[row].name if 0 <= row < len(self.pages) else ""

    def _on_page_chosen(self, row: int) -> None:
        if not 0 <= row < len(self.pages):
            return
        page = self.pages[row]
        self.browser.setSearchPaths([str(page.base)] if page.base else [])
        self.browser.document().setBaseUrl(QUrl.fromLocalFile(f"{page.base}/") if page.base else QUrl())
        if page.name == SHORTCUTS:
            self.browser.setHtml(page.text)
        else:
            self.browser.setMarkdown(page.text)
            self._fit_pictures(page.base)

    def _fit_pictures(self, base: Path | None) -> None:
        """Pictures (screenshots of the window) shrunk to the text's width, their shape kept."""
        room = max(self.browser.viewport().width() - 30, 200)
        cursor = QTextCursor(self.browser.document())
        block = self.browser.document().begin()
        while block.isValid():
            for fragment in (part.fragment() for part in block):  # (QTextBlock iterates its fragments)
                picture = fragment.charFormat().toImageFormat()
                if not picture.isValid() or base is None:
                    continue
                size = QImage(str(base / picture.name())).size()
                if size.width() > room:
                    picture.setWidth(room)
                    picture.setHeight(room * size.height() / size.width())
                    cursor.setPosition(fragment.position())
                    cursor.setPosition(fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor)
                    cursor.setCharFormat(picture)
            block = block.next()

    def _on_link_clicked(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)  # (the person's own browser; the help itself stays offline)
            return
        stem = Path(url.path()).stem
        names = [page.name for page in self.pages]
        if url.path().endswith(".md") and (stem in names or stem == "README"):
            self.list.setCurrentRow(names.index(stem) if stem in names else 0)
        elif url.hasFragment() and not url.path():
            self.browser.scrollToAnchor(url.fragment())


def show_help(window: QMainWindow, page: str = "README") -> HelpWindow:
    """The window's help (made once, kept), at `page`."""
    shown = window.findChild(HelpWindow)
    shown = shown if shown is not None else HelpWindow(window)
    shown.show_page(page)
    return shown
