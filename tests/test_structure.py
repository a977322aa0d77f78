"""The layout a newcomer finds their way in: feature packages, a thin window, small files, a CLI package."""

import ast
import importlib
import pkgutil

import pytest

from tests.conftest import REPO

AEGUI = REPO / "aegui"
MAX_LINES = 400
MAX_WINDOW_LINES = 250
FEATURES = tuple(sorted(path.parent.name for path in (AEGUI / "gui").glob("*/tab.py")))  # the feature packages


def test_no_file_in_aegui_is_over_400_lines():
    long = {str(path.relative_to(REPO)): n for path in AEGUI.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > MAX_LINES}  # fmt: skip
    assert not long


def test_the_main_window_is_thin():
    assert len((AEGUI / "gui" / "window" / "main_window.py").read_text().splitlines()) <= MAX_WINDOW_LINES


def test_gui_has_no_loose_modules_but_the_entry_points():
    """Every module of aegui/gui/ lives in a package that says what it is for."""
    loose = sorted(path.name for path in (AEGUI / "gui").glob("*.py"))
    assert loose == ["__init__.py", "app.py"]
    for package in (AEGUI / "gui").iterdir():
        if package.is_dir() and package.name != "__pycache__":
            assert ast.get_docstring(ast.parse((package / "__init__.py").read_text())), package.name


@pytest.mark.parametrize("feature", FEATURES)
def test_each_feature_builds_its_own_part_of_the_window(feature):
    source = (AEGUI / "gui" / feature / "tab.py").read_text()
    builds = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef) and node.name == "build"]
    assert builds and [arg.arg for arg in builds[0].args.args] == ["parts"]


def _parts_used_and_made(feature: str) -> tuple[set[str], set[str]]:
    """The fields of `parts` a feature's tab.py reads, and those it sets."""
    used, made = set(), set()
    for node in ast.walk(ast.parse((AEGUI / "gui" / feature / "tab.py").read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "parts":
            (made if isinstance(node.ctx, ast.Store) else used).add(node.attr)
    return used, made


def test_the_window_builds_every_feature_each_after_those_it_uses():
    """FEATURES names every feature package once, and orders them so that a feature's `build` finds the parts
    of every other feature it uses already made."""
    from aegui.gui.window import main_window

    assert sorted(main_window.FEATURES) == list(FEATURES)  # each package with a tab.py, each once
    assert FEATURES, "no feature package was found"
    made_by = {name: feature for feature in FEATURES for name in _parts_used_and_made(feature)[1]}
    assert {"gallery", "code_space", "model_views"} <= made_by.keys()  # (parts features are known to share)
    built = set()
    for feature in main_window.FEATURES:
        used, made = _parts_used_and_made(feature)
        missing = {name: made_by[name] for name in used - made if made_by.get(name, feature) not in (*built, feature)}
        assert not missing, f"{feature} is built before the features that make {missing}"
        built.add(feature)


def test_controllers_are_named_controller():
    """Every feature with behaviour keeps it in a …Controller, in a module named for it, beside its views."""
    found = {}
    for feature in (*FEATURES, "session"):
        for path in (AEGUI / "gui" / feature).glob("*controller.py"):
            module = importlib.import_module(f"aegui.gui.{feature}.{path.stem}")
            found[module.__name__] = [name for name, value in vars(module).items()
                                      if isinstance(value, type) and value.__module__ == module.__name__]  # fmt: skip
    assert {name.split(".")[2] for name in found} == {*FEATURES, "session"}
    assert all(any(name.endswith("Controller") for name in classes) for classes in found.values()), found


def test_the_cli_is_one_module_per_command():
    import aegui.cli

    modules = {info.name for info in pkgutil.iter_modules(aegui.cli.__path__)}
    commands = {"gui", "train", "generate", "export", "outliers", "encode", "similar", "duplicates", "download",
                "presets", "datasets", "install_desktop"}  # fmt: skip
    assert commands <= modules
    for name in commands:
        module = importlib.import_module(f"aegui.cli.{name}")
        assert callable(module.add_parser) and callable(module.run), name


def _import_graph(with_typing_imports: bool) -> dict[str, set[str]]:
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (the test extra)")
    graph = grimp.build_graph("aegui", exclude_type_checking_imports=not with_typing_imports)
    return {module: set(graph.find_modules_directly_imported_by(module)) for module in graph.modules}


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in edges.get(module, ()):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = [stack.pop()]
            while group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_through_others():
    assert _circles(_import_graph(with_typing_imports=False)) == []


def test_circles_are_found():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_is_in_rooms():
    """At least four rooms (sub-packages) and at most twelve modules at the core's top."""
    core = REPO / "aegui" / "core"
    rooms = [path for path in core.iterdir() if (path / "__init__.py").is_file()]
    loose = [path.name for path in core.glob("*.py") if path.name != "__init__.py"]
    assert len(rooms) >= 4 and len(loose) <= 12, (rooms, loose)
