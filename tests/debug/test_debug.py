"""The debug endpoint, fetched with a real HTTP client (urllib) from another thread."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

import cspy
import cspy.debug
import cspy.pprof
from tests.pprof.profiles import read


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` on a plain thread of its own (not a task, not the offload pool)."""
    box: dict[str, Any] = {}

    def get() -> None:
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                box["r"] = (r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            box["r"] = (e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())
        except BaseException as e:  # reported below
            box["e"] = e

    t = threading.Thread(target=get)
    t.start()
    cspy.blocking(t.join)  # the task waits; the runtime keeps serving
    if "e" in box:
        raise box["e"]
    return box["r"]  # type: ignore[no-any-return]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("procs", [1, 2])
def test_routes(procs: int) -> None:
    cspy.pprof.set_block_profile_rate(1)
    try:
        def main() -> None:
            host, port = cspy.debug.serve(port=0)
            assert host == "127.0.0.1" and port > 0
            base = f"http://{host}:{port}"
            ch = cspy.Chan(name="work")
            cspy.go(lambda: (cspy.sleep(0.01), ch.send(1)), name="worker")
            ch.recv()
            status, headers, body = _fetch(base + "/debug/pprof/")
            assert status == 200 and b"goroutine" in body and b"block" in body and b"mutex" in body
            status, _, body = _fetch(base + "/debug/pprof/goroutine?debug=2")
            assert status == 200 and b"task 1 'main'" in body
            status, _, body = _fetch(base + "/debug/pprof/goroutine?debug=1")
            assert body.startswith(b"goroutine profile: total ")
            status, headers, body = _fetch(base + "/debug/pprof/goroutine")
            assert headers["content-type"] == "application/octet-stream"
            assert read(body).sample_types == [("goroutine", "count")]
            status, _, body = _fetch(base + "/debug/pprof/block")
            samples = read(body).samples
            assert any(s.labels.get("chan") == "work" for s in samples)
            # seconds=N: only what the next N seconds add (nothing blocks on 'work' meanwhile)
            status, _, body = _fetch(base + "/debug/pprof/block?seconds=0.2")
            assert status == 200
            assert not any(s.labels.get("chan") == "work" for s in read(body).samples)
            status, _, body = _fetch(base + "/debug/pprof/mutex?debug=1")
            assert status == 200 and body.startswith(b"--- mutex:")
            status, _, body = _fetch(base + "/debug/pprof/trace?seconds=0.1")
            doc = json.loads(body)
            assert any(e["ph"] == "M" and e["name"] == "thread_name" for e in doc["traceEvents"])
            status, headers, body = _fetch(base + "/debug/cspy/stats")
            stats = json.loads(body)
            assert headers["content-type"] == "application/json"
            assert stats["running"] is True and len(stats["procs"]) == procs
            assert _fetch(base + "/debug/pprof/cmdline")[0] == 200
            assert _fetch(base + "/debug/pprof/heap")[0] == 404
            assert _fetch(base + "/debug/pprof/block?seconds=x")[0] == 400
            assert _fetch(base + "/debug/pprof/goroutine?seconds=1")[0] == 400
            assert _fetch(base + "/debug/cspy/flight")[0] == 404  # no flight recorder started
            assert _fetch(base + "/nope")[0] == 404

        cspy.run(main, procs=procs)
    finally:
        cspy.pprof.set_block_profile_rate(0)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "192.168.0.1", "example.com", "::"])
def test_non_loopback_hosts_are_refused(host: str) -> None:
    def main() -> None:
        cspy.debug.serve(host, 0)

    with pytest.raises(ValueError, match="loopback"):
        cspy.run(main)


def test_loopback_spellings_and_addresses() -> None:
    assert cspy.debug.check_loopback("localhost") == "127.0.0.1"
    assert cspy.debug.check_loopback("127.0.0.2") == "127.0.0.2"
    assert cspy.debug.check_loopback("::1") == "::1"
    assert cspy.debug.parse_addr("127.0.0.1:6060") == ("127.0.0.1", 6060)
    assert cspy.debug.parse_addr("[::1]:0") == ("::1", 0)
    with pytest.raises(ValueError, match="HOST:PORT"):
        cspy.debug.parse_addr("127.0.0.1")
    with pytest.raises(ValueError, match="loopback"):
        cspy.debug.parse_addr("0.0.0.0:6060")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("procs", [1, 2])
def test_endpoint_tasks_do_not_hide_a_deadlock(procs: int) -> None:
    def main() -> None:
        host, port = cspy.debug.serve(port=0)
        _fetch(f"http://{host}:{port}/debug/pprof/goroutine?debug=1")  # a served connection, too
        cspy.Chan(name="forever").recv()

    with pytest.raises(cspy.DeadlockError):
        cspy.run(main, procs=procs)


@pytest.mark.timeout(60)
def test_not_started_on_import() -> None:
    code = "import cspy, cspy.debug; print(cspy.run(lambda: cspy.num_tasks()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "1"


@pytest.mark.timeout(60)
def test_debug_addr_environment(tmp_path: pathlib.Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(
            """
            import cspy
            def main():
                # the endpoint's boot task prints its address; wait for it to be listening
                while not any(t.name == "cspy.debug server" for t in cspy.scheduler.running().all_tasks()):
                    cspy.sleep(0.005)
                return "ok"
            print(cspy.run(main))
            """
        )
    )
    env = {**os.environ, "CSPY_DEBUG_ADDR": "127.0.0.1:0"}
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
    assert "cspy: debug endpoint on http://127.0.0.1:" in res.stderr
    env["CSPY_DEBUG_ADDR"] = "0.0.0.0:6060"
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode != 0 and "CSPY_DEBUG_ADDR" in res.stderr and "loopback" in res.stderr
