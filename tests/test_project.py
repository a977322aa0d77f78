"""The project's own promises: README commands, CI, ruff."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_gives_one_launch_and_one_test_command():
    commands = _readme_commands()
    launch = [c for c in commands if c.startswith("python3 -m venv") and c.endswith("aegui")]
    tests = [c for c in commands if c.startswith("python3 -m venv") and "pytest" in c]
    assert len(launch) == 1 and len(tests) == 1


def test_ci_runs_the_readme_test_command():
    (test_command,) = [c for c in _readme_commands() if c.startswith("python3 -m venv") and "pytest" in c]
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is a dev extra: pip install -e '.[dev]'")
    result = subprocess.run([str(ruff), "check", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
