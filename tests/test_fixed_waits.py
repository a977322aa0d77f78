"""Tests wait for conditions, not for time: a fixed wait passes on an idle machine and fails on a loaded one
(or makes every run slower). This counts the fixed waits left in tests/ and keeps them at most MAX_FIXED_WAITS.

A fixed wait is a call of `qtbot.wait(…)`, `QTest.qWait(…)`, `time.sleep(…)` (or a `sleep` imported from
time or asyncio), `.wait(<number>)` on an Event made on the spot (`threading.Event().wait(0.01)`: nothing
can set it), or `threading.Timer(<number>, …)`; also in the programs a test runs as a child process (a
string holding Python). Waiting on a condition instead: `qtbot.waitUntil`, `qtbot.waitSignal`,
`event.wait(timeout)` on an event the code under test sets, a hook that drives a timer or a clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MAX_FIXED_WAITS = 2


def _name(node: ast.AST) -> str:
    """`a.b.c` of a call's function, as far as it is a chain of names."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _fixed_waits_in(tree: ast.AST) -> list[tuple[int, str]]:
    sleeps = {"time.sleep", "asyncio.sleep", "QTest.qWait", "QtTest.QTest.qWait"}
    for node in ast.walk(tree):  # `from time import sleep` makes `sleep(…)` one
        if isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio"):
            sleeps.update(alias.asname or alias.name for alias in node.names if alias.name == "sleep")
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        first = node.args[0] if node.args else None
        if (
            name in sleeps
            or name.endswith("qtbot.wait")
            or (name in ("threading.Timer", "Timer") and first is not None and _is_number(first))
            or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "wait"
                and isinstance(node.func.value, ast.Call)
                and _name(node.func.value.func) in ("Event", "threading.Event")
                and first is not None
                and _is_number(first)
            )
        ):
            found.append((node.lineno, ast.unparse(node)))
    return found


def _programs_in(tree: ast.AST) -> list[ast.AST]:
    """The Python programs held in strings (scripts a test runs in a child process)."""
    programs = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\n" in node.value:
            try:
                programs.append(ast.parse(node.value))
            except SyntaxError:
                continue
    return programs


def fixed_waits(folder: Path = TESTS) -> list[str]:
    """Every fixed wait in the test files under `folder`, as `path:line: call`."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if path.resolve() == Path(__file__).resolve():
            continue  # (its examples below are not waits)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(folder.parent)
        found += [f"{where}:{line}: {call}" for line, call in _fixed_waits_in(tree)]
        for program in _programs_in(tree):  # (lines counted within the program)
            found += [f"{where}: in a child program: {call}" for _line, call in _fixed_waits_in(program)]
    return found


def test_the_tests_wait_for_conditions_not_for_time():
    found = fixed_waits()
    assert len(found) <= MAX_FIXED_WAITS, "fixed waits in tests/ (wait for a condition instead):\n" + "\n".join(found)


def test_the_count_sees_each_kind_of_fixed_wait(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_waits.py").write_text(
        "import threading, time\n"
        "from time import sleep as nap\n"
        "def test_it(qtbot, event):\n"
        "    qtbot.wait(200)\n"
        "    self.qtbot.wait(10)\n"
        "    time.sleep(0.1)\n"
        "    nap(1)\n"
        "    threading.Event().wait(0.01)\n"
        "    threading.Timer(0.3, print).start()\n"
        "    SCRIPT = 'import time\\nprint(1)\\ntime.sleep(2)\\n'\n"
        "    # waits on conditions, not counted:\n"
        "    qtbot.waitUntil(lambda: True, timeout=5_000)\n"
        "    qtbot.waitSignal(event, timeout=5_000)\n"
        "    event.wait(10)\n"
        "    threading.Event().wait()\n"
        "    threading.Timer(delay, print)\n"
        "    'time.sleep(1) in a sentence, not a program'\n"
    )
    found = fixed_waits(tmp_path / "tests")
    assert [entry.split(": ", 1)[1] for entry in found] == [
        "qtbot.wait(200)",
        "self.qtbot.wait(10)",
        "time.sleep(0.1)",
        "nap(1)",
        "threading.Event().wait(0.01)",
        "threading.Timer(0.3, print)",
        "in a child program: time.sleep(2)",
    ], found
