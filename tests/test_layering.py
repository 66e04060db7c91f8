"""The architecture in one test: imports point down, and the public surface is exactly __all__."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import cspy

ROOT = pathlib.Path(cspy.__file__).parent

# A module may import from its own layer and the layers below it, never above.
LAYERS = [
    {"errors", "build"},  # build: which build of the hot path runs (imports nothing of cspy)
    {"scheduler"},
    {"channel"},
    {"sync", "time", "context", "x", "net", "testing", "trace", "pprof"},
    {"live", "gallery", "entry", "failure", "examples", "http", "debug"},
    {"__init__", "__main__"},
]


def layer_of(part: str) -> int:
    for i, names in enumerate(LAYERS):
        if part in names:
            return i
    raise AssertionError(f"module cspy.{part} is not placed in a layer: add it to LAYERS")


def imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cspy."):
            out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cspy."):
                    out.add(alias.name.split(".")[1])
    return out


def test_imports_point_down() -> None:
    bad = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        top = rel.parts[0].removesuffix(".py")
        if top == "examples":
            continue
        for dep in imports(path):
            if layer_of(dep) > layer_of(top):
                bad.append(f"{rel} imports cspy.{dep}")
    assert not bad, "imports pointing up the layers:\n" + "\n".join(bad)


def test_scheduler_knows_nothing_of_channels() -> None:
    for path in (ROOT / "scheduler").rglob("*.py"):
        assert imports(path) <= {"scheduler", "errors", "build"}, path


def test_public_surface_is_all() -> None:
    for name in cspy.__all__:
        assert hasattr(cspy, name), name
    public = {n for n in vars(cspy) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(cspy, n)).__name__ == "module"}
    assert public - modules == set(cspy.__all__) - modules


def test_http_uses_only_the_layers_below_it() -> None:
    # cspy.http sits beside live: on net, context, sync, channel and the scheduler's facade.
    for path in (ROOT / "http").rglob("*.py"):
        assert imports(path) <= {"http", "net", "context", "sync", "time", "channel", "scheduler", "errors"}, path


def test_observers_use_only_the_scheduler() -> None:
    # cspy.trace and cspy.pprof read what the scheduler records (pprof also uses trace's hooks);
    # cspy.debug serves them over cspy.http.
    for path in (ROOT / "trace").rglob("*.py"):
        assert imports(path) <= {"trace", "scheduler", "errors"}, path
    for path in (ROOT / "pprof").rglob("*.py"):
        assert imports(path) <= {"pprof", "trace", "scheduler", "errors"}, path
    for path in (ROOT / "debug").rglob("*.py"):
        assert imports(path) <= {"debug", "http", "net", "pprof", "trace", "scheduler", "errors"}, path


def test_import_cspy_does_not_import_the_observers() -> None:
    code = "import sys, cspy; cspy.run(lambda: None); print(sorted(m for m in sys.modules if m.split('.')[:2] in (['cspy', 'trace'], ['cspy', 'pprof'], ['cspy', 'debug'])))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_testing_uses_only_the_layers_below_it() -> None:
    # cspy.testing (and its pytest plugin) drives the scheduler and knows sync and context only
    # to keep exploration's scheduling points out of their composite operations.
    for path in (ROOT / "testing").rglob("*.py"):
        assert imports(path) <= {"testing", "context", "sync", "channel", "scheduler", "errors"}, path


def test_import_cspy_does_not_import_testing() -> None:
    code = "import sys, cspy; cspy.Chan(); print('cspy.testing' in sys.modules, 'pytest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False False", out.stderr


def test_import_cspy_does_not_import_h11() -> None:
    code = "import sys, cspy; cspy.Chan(); print('h11' in sys.modules, 'cspy.http' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False False", out.stderr
    code = "import sys, cspy; cspy.http.serve; print('h11' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr


def test_import_cspy_does_not_import_trio() -> None:
    code = "import sys, cspy; cspy.Chan(); print('trio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
    code = "import sys, cspy; cspy.net.listen; print('trio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr
