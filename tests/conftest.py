"""Shared test setup: offscreen Qt, private data/cache/settings folders, paths to ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AEGUI_SHARED", REPO.parent / "shared"))
MNIST_ROOT = SHARED / "datasets"
UNIPEN = SHARED / "datasets" / "unipen-digits" / "dev.jsonl"
JUDGE = SHARED / "judge"

needs_mnist = pytest.mark.skipif(
    not (MNIST_ROOT / "MNIST" / "raw" / "train-images-idx3-ubyte").exists(),
    reason=f"full MNIST is not at {MNIST_ROOT} (../shared is only on the developers' machines)",
)
needs_unipen = pytest.mark.skipif(
    not UNIPEN.exists(), reason=f"the pen-stroke digits are not at {UNIPEN} (../shared is absent)"
)
needs_judge = pytest.mark.skipif(
    not (JUDGE / "judge.py").exists(), reason=f"the fixed MNIST classifier is not at {JUDGE} (../shared is absent)"
)


@pytest.fixture(autouse=True, scope="session")
def _private_folders(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Never touch the user's data, cache or settings; an empty data folder means the embedded sample."""
    base = tmp_path_factory.mktemp("aegui-home")
    os.environ["AEGUI_DATA_DIR"] = str(base / "data")
    os.environ["AEGUI_CACHE_DIR"] = str(base / "cache")
    os.environ["AEGUI_CONFIG_DIR"] = str(base / "config")
    os.environ["AEGUI_AUTOSAVE_DIR"] = str(base / "autosave")
    os.environ["AEGUI_RUNS_DIR"] = str(base / "runs")


@pytest.fixture(scope="session")
def sample():
    from aegui.core.data.datasets import load_sample

    return load_sample()


@pytest.fixture(scope="session")
def small_sample(sample):
    """1,000 training and 200 test digits: enough to see learning in well under a second."""
    return sample.subset(1000, 200)


def open_and_wait(qtbot, session, path) -> str | None:
    """Open a model file in the window's session and wait for the outcome: None when it was opened (or a
    person declined), otherwise the problem the person is told."""
    with qtbot.waitSignal(session.openEnded, timeout=30_000) as ended:
        assert session.open(path)
    return ended.args[1]


@pytest.fixture(scope="session")
def qapp(qapp):
    """pytest-qt's application, set up for the whole process as aegui's start-up sets up its own."""
    from aegui.gui.app_wide.set_up import set_up_process

    set_up_process(qapp)
    return qapp
