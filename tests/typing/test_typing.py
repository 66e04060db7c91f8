"""Typing tests: good_*.py must pass ``mypy --strict`` and every bad_*.py must fail it exactly as
intended.

Each bad file holds exactly one misuse (named in its docstring), on a line that ends with
``# expect: CODE MESSAGE``: mypy must report that error code on that line, with MESSAGE in its
text, and nothing else in the file. So a failure here means mypy stopped catching that misuse
(e.g. a directional view grew the other direction's methods), or that the file fails for some
other reason (a typo would otherwise pass as "an error").
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent
GOOD = sorted(HERE.glob("good_*.py"))
BAD = sorted(HERE.glob("bad_*.py"))

_EXPECT = re.compile(r"#\s*expect:\s*(?P<code>[a-z-]+)\s+(?P<message>.+?)\s*$")
# mypy's line format: path:line: error: message  [code]
_ERROR = re.compile(r"^(?P<path>[^:]+\.py):(?P<line>\d+): error: (?P<message>.*?)\s+\[(?P<code>[a-z-]+)\]$")


def mypy(*files: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         "--config-file=/dev/null", "--show-error-codes", "--no-pretty", "--no-error-summary",
         *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )


def expected(path: pathlib.Path) -> list[tuple[int, str, str]]:
    """The (line, code, message fragment) of every ``# expect:`` comment in ``path``."""
    out = []
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if "expect:" in line:
            m = _EXPECT.search(line)
            assert m, f"{path.name}:{n}: malformed '# expect: CODE MESSAGE' comment"
            out.append((n, m["code"], m["message"]))
    return out


def reported(stdout: str) -> dict[str, list[tuple[int, str, str]]]:
    """mypy's errors by file name: (line, code, message)."""
    errors: dict[str, list[tuple[int, str, str]]] = {}
    for line in stdout.splitlines():
        m = _ERROR.match(line.replace("\\", "/"))
        if m:
            name = pathlib.Path(m["path"]).name
            errors.setdefault(name, []).append((int(m["line"]), m["code"], m["message"]))
    return errors


@pytest.mark.timeout(300)
def test_good_files_pass_and_each_bad_file_fails_as_intended() -> None:
    assert GOOD and BAD
    good = mypy(*GOOD)
    assert good.returncode == 0, good.stdout + good.stderr
    # One run over all bad files; each file's errors are exactly its ``# expect:`` lines.
    bad = mypy(*BAD)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    errors = reported(bad.stdout)
    unparsed = [
        ln for ln in bad.stdout.splitlines() if ": error:" in ln and not _ERROR.match(ln.replace("\\", "/"))
    ]
    assert not unparsed, f"mypy errors in an unknown format: {unparsed}"
    problems = []
    for f in BAD:
        want = expected(f)
        if len(want) != 1:
            problems.append(f"{f.name}: needs exactly one '# expect:' line, has {len(want)}")
            continue
        got = errors.get(f.name, [])
        (line, code, fragment), = want
        if [(ln, c) for ln, c, _ in got] != [(line, code)] or fragment not in got[0][2]:
            problems.append(f"{f.name}: expected [{code}] on line {line} with {fragment!r}; mypy said {got}")
    assert not problems, "\n".join(problems) + "\n\nmypy output:\n" + bad.stdout
