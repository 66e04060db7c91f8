"""Every name docs/api.md documents exists in the package, with the keywords it shows.

docs/api.md describes what is built (the contract and cspy's additions), so a name it shows
that the package lacks is a broken promise: a rename, a removal, or a doc written ahead of the
code. (test_layering.py checks that the public names are exactly ``__all__``; this checks them
against the documentation.) What the parser reads, in inline code spans and code blocks:

- dotted names from the package: ``cspy.Chan``, ``cspy.net.dial``, ``cspy.Timer.stop``: they must
  resolve (import the module, then the attributes);
- keyword arguments shown in a call of one of them, ``cspy.run(main, seed=N)``: each keyword
  must be a parameter of the callable's signature;
- ``Class.member`` where ``Class`` is a class of the package (``Task.id``, ``Conn.read(...)``) or
  a variable the tables use for one (``ch``, ``mu``, ``rw``, ...): the member must exist
  (a capitalized member is Go's, as in "Go's ``WaitGroup.Go``", and is left alone);
- table rows whose first cell is a class, ``| `cspy.WaitGroup()` | `add(n=1)`, `done()` |``:
  each ``method(...)``, ``.attribute``, ``a/b`` pair and ``with x.method():`` in the second
  cell is a member (with the keywords it shows), and ``with x:`` means a context manager.

Anything else (prose, Go's names, exceptions, environment variables) is not checked. A failure
names the line of docs/api.md: fix the code or the doc, whichever is wrong.
"""

from __future__ import annotations

import builtins
import dataclasses
import importlib
import importlib.util
import inspect
import pathlib
import re
from collections.abc import Iterator
from typing import Any

import cspy
import cspy.net

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "api.md"

# Where ``Class.member`` looks for ``Class`` (a class only: ``sync.Pool`` is Go's, not ours).
SEARCH = ["cspy", "cspy.sync", "cspy.net", "cspy.context", "cspy.channel", "cspy.scheduler"]
# The variable names the tables use for instances.
ALIASES = {
    "ch": cspy.Chan,
    "mu": cspy.Mutex,
    "rw": cspy.RWMutex,
    "wg": cspy.WaitGroup,
    "sem": cspy.Semaphore,
    "conn": cspy.net.Conn,
    "ln": cspy.net.Listener,
}

_SPAN = re.compile(r"`([^`]+)`")
_DOTTED = re.compile(r"(?<![\w.])cspy(?:\.[A-Za-z_]\w*)+")
_MEMBER_REF = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.([A-Za-z_]\w*)")
_NO_VALUE = object()


@dataclasses.dataclass
class Span:
    text: str
    line: int


def spans(text: str) -> Iterator[Span]:
    """Inline code spans (they may wrap lines) and fenced code blocks, with their line."""
    fence = re.compile(r"^```.*?$(.*?)^```", re.S | re.M)
    pos = 0
    for m in fence.finditer(text):
        yield from _inline(text, pos, m.start())
        yield Span(m.group(1), text.count("\n", 0, m.start(1)) + 1)
        pos = m.end()
    yield from _inline(text, pos, len(text))


def _inline(text: str, start: int, end: int) -> Iterator[Span]:
    for m in _SPAN.finditer(text, start, end):
        yield Span(m.group(1), text.count("\n", 0, m.start()) + 1)


def resolve(dotted: str) -> Any:
    """The object ``dotted`` names (a module, then attributes), or ``_NO_VALUE``."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return _NO_VALUE
            obj = getattr(obj, attr)
        return obj
    return _NO_VALUE


def find_class(name: str) -> type | None:
    if name in ALIASES:
        return ALIASES[name]
    for mod in SEARCH:
        obj = getattr(importlib.import_module(mod), name, None)
        if isinstance(obj, type):
            return obj
    return None


def has_member(cls: type, name: str) -> bool:
    if hasattr(cls, name):  # methods, properties, slots, class attributes
        return True
    if dataclasses.is_dataclass(cls) and name in {f.name for f in dataclasses.fields(cls)}:
        return True
    return any(name in getattr(k, "__annotations__", {}) for k in cls.__mro__)


def call_args(text: str, start: int) -> str | None:
    """The argument text of a call written at ``text[start:]`` (after ``[...]`` if any)."""
    i = start
    if i < len(text) and text[i] == "[":  # cspy.Chan[int](10)
        depth = 0
        while i < len(text):
            depth += {"[": 1, "]": -1}.get(text[i], 0)
            i += 1
            if depth == 0:
                break
    if i >= len(text) or text[i] != "(":
        return None
    depth, j = 0, i
    while j < len(text):
        depth += {"(": 1, ")": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
        j += 1
    return None  # unbalanced, e.g. wrapped: nothing to check


def keywords(args: str) -> list[str]:
    """Keyword names given at the top level of an argument list: ``a, b=1, *, c=f(d=2)``."""
    out, depth, current = [], 0, ""
    for ch in args + ",":
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            m = re.match(r"\s*([A-Za-z_]\w*)\s*=(?!=)", current)
            if m:
                out.append(m.group(1))
            current = ""
        else:
            current += ch
    return out


def check_keywords(what: str, obj: Any, args: str | None, line: int) -> list[str]:
    if args is None:
        return []
    names = keywords(args)
    if not names:
        return []
    try:
        sig = _signature(obj)
    except (TypeError, ValueError):  # no signature to compare with (a builtin)
        return []
    return [
        f"line {line}: {what}(... {kw}=...): {kw!r} is not a parameter of {what}{sig}"
        for kw in names
        if kw not in sig.parameters
    ]


def _signature(obj: Any) -> inspect.Signature:
    """``obj``'s signature; for a class of the compiled build (whose constructor C does not
    describe), the signature of the same class in its ``.py`` source."""
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        module = getattr(obj, "__module__", "")
        if cspy.build.BUILD != "compiled" or module not in cspy.build.COMPILED:
            raise
        return inspect.signature(getattr(_pure_twin(module), obj.__qualname__))


_PURE: dict[str, Any] = {}


def _pure_twin(module: str) -> Any:
    """The pure-Python module ``module``, loaded from its source under another name."""
    if module not in _PURE:
        src = pathlib.Path(cspy.__file__).parent.parent.joinpath(*module.split(".")).with_suffix(".py")
        spec = importlib.util.spec_from_file_location("_pure_" + module.replace(".", "_"), src)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _PURE[module] = mod
    return _PURE[module]


def check_dotted(span: Span) -> list[str]:
    problems = []
    for m in _DOTTED.finditer(span.text):
        obj = resolve(m.group())
        if obj is _NO_VALUE:
            problems.append(f"line {span.line}: {m.group()} does not exist")
            continue
        problems += check_keywords(m.group(), obj, call_args(span.text, m.end()), span.line)
    return problems


def check_member_refs(span: Span) -> list[str]:
    problems = []
    for m in _MEMBER_REF.finditer(span.text):
        owner, member = m.groups()
        if owner == "cspy" or member[0].isupper():
            continue  # a dotted name (check_dotted), or Go's (``WaitGroup.Go``): ours are lowercase
        cls = find_class(owner)
        if cls is None:
            continue  # not one of ours (Go's sync.Pool, os.environ, ...)
        if not has_member(cls, member):
            problems.append(f"line {span.line}: {owner}.{member}: {cls.__name__} has no {member!r}")
            continue
        attr = getattr(cls, member, None)
        if callable(attr):
            problems += check_keywords(f"{cls.__name__}.{member}", attr, call_args(span.text, m.end()), span.line)
    return problems


_ROW_MEMBER = [
    re.compile(r"^\.?([A-Za-z_]\w*)(?=\()"),  # add(n=1), .stop() -> bool
    re.compile(r"^\.([A-Za-z_]\w*)$"),  # .c
    re.compile(r"^with \w+\.([A-Za-z_]\w*)(?=\()"),  # with rw.rlocker():
]


def check_table_rows(text: str) -> list[str]:
    problems = []
    for n, row in enumerate(text.splitlines(), start=1):
        if not row.startswith("|"):
            continue
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        first = _SPAN.search(cells[0]) if len(cells) >= 2 else None
        name = _DOTTED.match(first.group(1)) if first else None
        cls = resolve(name.group()) if name else _NO_VALUE
        if not isinstance(cls, type):
            continue  # not a class's row (a function's second cell is prose about the call)
        for m in _SPAN.finditer(cells[1]):
            problems += check_row_span(cls, m.group(1).strip(), n)
    return problems


def check_row_span(cls: type, code: str, line: int) -> list[str]:
    """One code span of a class's row: a member, two members (``a/b``), or ``with x:``."""
    if re.fullmatch(r"with \w+:", code):
        if hasattr(cls, "__enter__") and hasattr(cls, "__exit__"):
            return []
        return [f"line {line}: `{code}`: {cls.__name__} is not a context manager"]
    pair = re.fullmatch(r"([A-Za-z_]\w*)/([A-Za-z_]\w*)", code)  # lock/unlock
    if pair:
        return [f"line {line}: `{code}`: {cls.__name__} has no {m!r}" for m in pair.groups() if not has_member(cls, m)]
    for pattern in _ROW_MEMBER:
        hit = pattern.match(code)
        if hit and not hasattr(builtins, hit.group(1)):  # len(ch) is not a member
            member = hit.group(1)
            if not has_member(cls, member):
                return [f"line {line}: `{code}`: {cls.__name__} has no {member!r}"]
            attr = getattr(cls, member, None)
            if callable(attr):
                return check_keywords(f"{cls.__name__}.{member}", attr, call_args(code, hit.end()), line)
            return []
    return []  # prose: an exception, an argument, a value


def test_every_name_docs_api_md_documents_exists() -> None:
    text = DOC.read_text()
    problems: list[str] = []
    names: set[str] = set()
    for span in spans(text):
        problems += check_dotted(span) + check_member_refs(span)
        names.update(_DOTTED.findall(span.text))
    problems += check_table_rows(text)
    assert len(names) >= 30, f"only {len(names)} names found in {DOC}: has its format changed?"
    assert not problems, f"{DOC.name} documents what the package lacks:\n" + "\n".join(problems)


def test_the_checks_catch_what_they_claim_to() -> None:
    """The parser on a made-up document: each kind of broken promise is reported."""
    doc = "\n".join(
        [
            "| call | meaning |",
            "|---|---|",
            "| `cspy.WaitGroup()` | `add(n=1)`, `done()`, `finish()`, `add(count=2)`. |",
            "| `cspy.RWMutex()` | `lock/unlock`, `rlock/runlock_all`, `with rw:`, `with rw.rlocker():` |",
            "| `cspy.Timer(seconds)` | `.c` channel, `.when` |",
            "| `cspy.Once()` | `with once:` |",
            "",
            "`cspy.no_such_name()`, `cspy.run(main, procs=2, speed=3)`, `Task.id`, `Task.colour`,",
            "`ch.cap`, `ch.depth`, `cspy.Chan[int](10, name=\"x\", label=\"y\")`, Go's `sync.Pool`, `Mutex.TryLock`.",
            "```python",
            "cspy.select(cspy.Recv(ch), default=True, timeout=1)",
            "```",
        ]
    )
    problems = check_table_rows(doc)
    for span in spans(doc):
        problems += check_dotted(span) + check_member_refs(span)
    report = "\n".join(problems)
    for broken in [
        "WaitGroup has no 'finish'",
        "'count' is not a parameter of WaitGroup.add",
        "RWMutex has no 'runlock_all'",
        "Timer has no 'when'",
        "Once is not a context manager",
        "cspy.no_such_name does not exist",
        "'speed' is not a parameter of cspy.run",
        "Task has no 'colour'",
        "Chan has no 'depth'",
        "'label' is not a parameter of cspy.Chan",
        "'timeout' is not a parameter of cspy.select",
    ]:
        assert broken in report, f"not reported: {broken}\n{report}"
    assert len(problems) == 11, report  # and nothing that does exist
