"""Typing tests: good_*.py must pass ``mypy --strict`` and every bad_*.py must fail it.

Each bad file holds exactly one misuse (named in its docstring), so a failure here means mypy
stopped catching that misuse -- e.g. a directional view grew the other direction's methods.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
GOOD = sorted(HERE.glob("good_*.py"))
BAD = sorted(HERE.glob("bad_*.py"))


def mypy(*files: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         "--config-file=/dev/null", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.timeout(300)
def test_good_files_pass_and_each_bad_file_fails() -> None:
    assert GOOD and BAD
    good = mypy(*GOOD)
    assert good.returncode == 0, good.stdout + good.stderr
    # One run over all bad files: every file must have at least one error of its own.
    bad = mypy(*BAD)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    for f in BAD:
        assert f"{f.name}:" in bad.stdout.replace("\\", "/"), f"mypy accepted {f.name}:\n{bad.stdout}"
