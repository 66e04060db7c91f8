"""Dependencies point one way: the scheduler (and a plain ``import cspy``) never load the live view."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["cspy.scheduler", "cspy"])
def test_importing_does_not_load_the_live_view(module: str) -> None:
    code = (
        f"import sys, {module}, cspy; cspy.run(lambda: None); "
        "print(sorted(m for m in sys.modules if m.startswith(('cspy.live', 'rich'))))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=25,
                       env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
