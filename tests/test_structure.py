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


@pytest.mark.parametrize("feature", FEATURES)
def test_each_feature_declares_the_parts_it_reads_and_those_it_records(feature):
    """A tab's REQUIRES names every part it reads of `parts` (and no other), its PROVIDES every part it sets."""
    tab = importlib.import_module(f"aegui.gui.{feature}.tab")
    used, made = _parts_used_and_made(feature)
    assert sorted(tab.REQUIRES) == sorted(used - made) and len(set(tab.REQUIRES)) == len(tab.REQUIRES)
    assert sorted(tab.PROVIDES) == sorted(made) and len(set(tab.PROVIDES)) == len(tab.PROVIDES)


def test_the_window_builds_every_feature_each_after_those_it_uses():
    """FEATURES names every feature package once; the window builds them in an order computed from their
    declarations, so that a feature's `build` finds the parts of every other feature it uses already made."""
    from aegui.gui.window import main_window
    from aegui.gui.window.parts import Parts, build_order, feature_tabs, given_parts

    assert sorted(main_window.FEATURES) == list(FEATURES)  # each package with a tab.py, each once
    assert FEATURES, "no feature package was found"
    tabs = feature_tabs(main_window.FEATURES)
    made_by = {name: feature for feature in FEATURES for name in _parts_used_and_made(feature)[1]}
    assert {"gallery", "manifold", "code_map_page"} <= made_by.keys()  # (parts features are known to share)
    assert not given_parts() & made_by.keys()  # a part is given by the window or made by one feature
    assert made_by.keys() <= Parts.__dataclass_fields__.keys()
    built: set[str] = set()
    for feature in build_order(tabs):
        used, made = _parts_used_and_made(feature)
        assert used - made <= given_parts() | made_by.keys(), f"{feature} reads parts nobody makes"
        missing = {name: made_by[name] for name in used - made if made_by.get(name, feature) not in (*built, feature)}
        assert not missing, f"{feature} is built before the features that make {missing}"
        built.add(feature)
    assert built == set(FEATURES)


def test_the_build_order_follows_the_declarations_and_refuses_circles():
    from types import SimpleNamespace

    from aegui.gui.window.parts import build_order

    def tab(requires=(), provides=()):
        return SimpleNamespace(REQUIRES=("session", *requires), PROVIDES=provides)

    tabs = {"a": tab(["b_part"]), "b": tab(["c_part"], ["b_part"]), "c": tab(provides=["c_part"]), "d": tab()}
    assert build_order(tabs) == ["c", "b", "a", "d"]
    with pytest.raises(ValueError, match="need each other"):
        build_order({"a": tab(["b_part"], ["a_part"]), "b": tab(["a_part"], ["b_part"])})
    with pytest.raises(ValueError, match="no one gives or provides"):
        build_order({"a": tab(["nowhere"])})


def _gui_imports(path) -> set[str]:
    """Every `aegui.gui…` module a file imports: at its top, in functions and under TYPE_CHECKING alike."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.ImportFrom):  # relative: from the file's own package
            package = ".".join(path.relative_to(REPO).parent.parts[: len(path.relative_to(REPO).parent.parts)
                                                                       - node.level + 1])  # fmt: skip
            names.add(f"{package}.{node.module}" if node.module else package)
    return {name for name in names if name.startswith("aegui.gui.")}


@pytest.mark.parametrize("feature", FEATURES)
def test_no_feature_package_imports_another(feature):
    """Features meet through the session (its signals and requests) and the parts they declare, never by
    importing each other, not even for a type: what two of them show lives in aegui.gui.widgets."""
    others = {f"aegui.gui.{other}" for other in FEATURES if other != feature}
    found = {f"{path.relative_to(REPO)}: {name}" for path in (AEGUI / "gui" / feature).rglob("*.py")
             for name in _gui_imports(path) if ".".join(name.split(".")[:3]) in others}  # fmt: skip
    assert not found


def test_feature_imports_are_found_under_type_checking_too(tmp_path):
    module = tmp_path / "example.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from aegui.gui.drawing.canvas import "
                      "DrawCanvas\ndef f():\n    import aegui.gui.data.controller\n")  # fmt: skip
    assert _gui_imports(module) == {"aegui.gui.drawing.canvas", "aegui.gui.drawing.canvas.DrawCanvas",
                                    "aegui.gui.data.controller"}  # fmt: skip


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
    # (no cache: grimp keeps one set of file times for both kinds of graph, so one goes stale after the other)
    graph = grimp.build_graph("aegui", exclude_type_checking_imports=not with_typing_imports, cache_dir=None)
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


def test_no_module_imports_itself_through_others_even_for_types():
    """Imports under TYPE_CHECKING make no circle either (the window's helpers name it by a Protocol; the core
    reads the version from aegui._version, not from the package that names the API)."""
    assert _circles(_import_graph(with_typing_imports=True)) == []


def test_circles_are_found():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_is_in_rooms():
    """At least four rooms (sub-packages) and at most twelve modules at the core's top."""
    core = REPO / "aegui" / "core"
    rooms = [path for path in core.iterdir() if (path / "__init__.py").is_file()]
    loose = [path.name for path in core.glob("*.py") if path.name != "__init__.py"]
    assert len(rooms) >= 4 and len(loose) <= 12, (rooms, loose)
