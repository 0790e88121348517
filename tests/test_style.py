"""The code keeps to the lint rules in pyproject.toml ([tool.ruff])."""

import subprocess
import sys

from conftest import REPO


def test_code_passes_ruff():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "dms", "tests", "bench"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
