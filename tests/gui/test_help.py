"""Help: the docs shipped with aegui, offline, and the keyboard shortcuts read from the window's own actions;
About and the training message name the same threads."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

from tests.conftest import REPO


def help_window(window):
    from aegui.gui.window.help import HelpWindow

    return window.findChild(HelpWindow)


def test_f1_opens_the_docs_and_their_links_open_here(window, qtbot):
    QTest.keyClick(window, Qt.Key.Key_F1)
    shown = help_window(window)
    assert shown is not None and shown.isVisible() and shown.page_name() == "README"
    assert "A desktop studio for autoencoders" in shown.browser.toPlainText()
    titles = [shown.list.item(row).text() for row in range(shown.list.count())]
    assert titles[:3] == ["aegui", "Installing aegui", "The command line in full"]
    assert titles[-1] == "Keyboard shortcuts" and len(titles) == 2 + len(list((REPO / "docs").glob("*.md")))
    shown.browser.anchorClicked.emit(QUrl("docs/command-line.md"))  # a link of the README's
    assert shown.page_name() == "command-line" and "aegui COMMAND --help" in shown.browser.toPlainText()
    shown.browser.anchorClicked.emit(QUrl("../README.md"))  # and back, from a doc
    assert shown.page_name() == "README"
    assert shown.browser.document().baseUrl() == QUrl.fromLocalFile(f"{REPO}/")  # its pictures are found there


def test_the_shortcuts_are_read_from_the_menus_and_cannot_drift(window):
    window.actions["shortcutsAction"].trigger()
    shown = help_window(window)
    text = shown.browser.toPlainText()
    assert shown.page_name() == "shortcuts"
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            assert key.toString(QKeySequence.SequenceFormat.NativeText) in text, action.objectName()
    assert "Undo (a stroke or a Clear)" in text and "Del" in text and "F1" in text
    added = QAction("Do something new", window)
    added.setShortcut(QKeySequence("Ctrl+Shift+F9"))
    window.menuBar().actions()[0].menu().addAction(added)
    QTest.keySequence(window, QKeySequence("Ctrl+/"))
    assert "Do something new" in shown.browser.toPlainText() and "Ctrl+Shift+F9" in shown.browser.toPlainText()


def test_about_and_the_training_message_count_the_same_threads(window, qtbot):
    import torch

    from aegui.gui.concurrency.training_process import PROCESS_THREADS, describe_training_device
    from aegui.gui.window.dialogs import about_text

    window.panel.epochs_spin.setValue(1)
    with qtbot.waitSignal(window.session.trainingStarted):
        window.start_training()
    device = describe_training_device(window.session.device)
    assert torch.get_num_threads() == 1  # the window's own, while the training process has the cores
    assert f"{device}." in window.panel.message_label.text() or f"{device};" in window.panel.message_label.text()
    assert f"Training device: {device}" in about_text(window.session.device)
    if window.session.device.type == "cpu":
        assert device.startswith(f"cpu ({PROCESS_THREADS} thread")
    with qtbot.waitSignal(window.session.trainingFinished, timeout=60_000):
        window.stop_training()


def test_installed_the_docs_are_package_data_and_the_readme_is_the_description(tmp_path, monkeypatch):
    import tomllib

    from aegui.gui.window import help as window_help

    package = tmp_path / "site-packages" / "aegui"
    (package / "docs").mkdir(parents=True)
    (package / "docs" / "install.md").write_text("# Installing aegui\n\nText.\n")
    monkeypatch.setattr(window_help, "PACKAGE", package)
    monkeypatch.setattr(window_help, "CHECKOUT", package.parent)
    found = window_help.documents()
    assert [(page.name, page.title) for page in found] == [("README", "aegui"), ("install", "Installing aegui")]
    assert "A desktop studio for autoencoders" in found[0].text and found[0].base == package
    project = tomllib.loads((REPO / "pyproject.toml").read_text())  # (setup.py maps docs/ to aegui.docs)
    assert project["tool"]["setuptools"]["package-data"]["aegui.docs"] == ["*.md", "*.png"]
