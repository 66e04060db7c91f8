"""The README's example runs and prints what the README says it prints."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.timeout(60)
def test_readme_example_prints_what_it_claims() -> None:
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert code is not None
    claimed = re.search(r"print\(cspy\.run\(main\)\)\s+#\s*(\S+)", code.group(1))
    assert claimed is not None, "the example's last line should say what it prints"
    out = subprocess.run([sys.executable, "-c", code.group(1)], capture_output=True, text=True, timeout=50)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == claimed.group(1)


def test_readme_test_command_is_marked_for_ci() -> None:
    text = README.read_text()
    block = text.split("<!-- test-command -->", 1)[1].split("<!-- /test-command -->", 1)[0]
    assert "pytest" in block and "mypy" in block
