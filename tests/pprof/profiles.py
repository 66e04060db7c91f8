"""Reading a gzipped profile.proto back in the tests (with the independent decoder), and
``go tool pprof -raw`` for the check that Go's own reader accepts it."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from dataclasses import dataclass, field

from tests.trace.pbdecode import decode, packed, signed, text


@dataclass
class Sample:
    values: list[int]
    functions: list[str]  # innermost first
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Profile:
    sample_types: list[tuple[str, str]]
    period_type: tuple[str, str]
    period: int
    samples: list[Sample]


def read(data: bytes) -> Profile:
    assert data[:2] == b"\x1f\x8b", "a profile is gzipped, as Go writes it"
    p = decode(gzip.decompress(data))
    strings = [text(s) for s in p[6]]
    assert strings[0] == "", "string_table[0] must be the empty string"
    funcs = {}
    for raw in p[5]:
        f = decode(raw)  # type: ignore[arg-type]
        funcs[f[1][0]] = strings[f[2][0]]  # type: ignore[index]
    locs = {}
    for raw in p[4]:
        loc = decode(raw)  # type: ignore[arg-type]
        line = decode(loc[4][0])  # type: ignore[arg-type]
        locs[loc[1][0]] = funcs[line[1][0]]
    samples = []
    for raw in p[2]:
        s = decode(raw)  # type: ignore[arg-type]
        ids = [i for v in s.get(1, []) for i in packed(v)]
        values = [signed(i) for v in s.get(2, []) for i in packed(v)]
        labels = {}
        for lab in s.get(3, []):
            lb = decode(lab)  # type: ignore[arg-type]
            labels[strings[lb[1][0]]] = strings[lb[2][0]]  # type: ignore[index]
        samples.append(Sample(values, [locs[i] for i in ids], labels))  # type: ignore[index]
    st = []
    for raw in p[1]:
        vt = decode(raw)  # type: ignore[arg-type]
        st.append((strings[vt[1][0]], strings[vt[2][0]]))  # type: ignore[index]
    pt = decode(p[11][0])  # type: ignore[arg-type]
    return Profile(st, (strings[pt[1][0]], strings[pt[2][0]]), p[12][0] if p.get(12) else 0, samples)  # type: ignore[index]


def go_raw(path: str) -> str:
    """``go tool pprof -raw PATH``. CI installs Debian's golang-go (.ci/run); a missing ``go``
    fails the test loudly instead of skipping it."""
    go = shutil.which("go")
    assert go is not None, (
        "the 'go' command is missing: these tests check the profiles with Go's own reader "
        "(go tool pprof); install Debian's golang-go (apt-get install -y golang-go), as .ci/run does"
    )
    res = subprocess.run([go, "tool", "pprof", "-raw", path], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, f"go tool pprof could not read {path}:\n{res.stderr}"
    return res.stdout
