"""HTTP/1.1 under wrk: requests/s and p99 for cspy.http, gevent's pywsgi and uvicorn (h11), plus
the client side: cspy.http.Client against httpx's sync client.

Server side: each server runs a hello-world handler ("Hello, World!", 13 bytes, text/plain) in a
fresh process pinned to core 0 (``taskset -c 0``: one core each); ``wrk`` runs pinned to core 1
with one thread and 100 kept-alive connections for ``--seconds``. Rounds are interleaved (every
server once per round, in a shuffled order) and the table shows the median and the slowest
round. cspy runs with ``procs=1`` (one core). ``cpu us/req`` is the server process's CPU time
(user + system, from /proc) per request: on a shared machine, where a run's requests/s moves with
the load from elsewhere, it is the steadier figure of each server's own cost.

Client side: a cspy.http server on core 0; the client process on core 1 sends ``--requests``
sequential GETs over one kept-alive connection, with ``cspy.http.Client`` or ``httpx.Client``
(sync); requests/s and p99 per request. Every response's body is checked.

    python benchmarks/http_wrk.py                     # ~2 min: 3 rounds of 10 s, then the client
    python benchmarks/http_wrk.py --seconds 5 --rounds 5
    python benchmarks/http_wrk.py --profile           # one cspy server run under cProfile

Setup: ``wrk`` is the Debian package of that name; when it is missing and we are root it is
installed with ``apt-get install -y wrk`` (otherwise install it so). The peers are in the bench
extra: ``pip install -e '.[bench]'`` (gevent, uvicorn, httpx). A missing peer makes its row say so.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS = ("cspy", "gevent", "uvicorn")
CLIENTS = ("cspy", "httpx")
BODY = b"Hello, World!"
SERVER_CORE, CLIENT_CORE = "0", "1"


# ---- the servers (each runs in its own process: --serve NAME PORT) ------------------------------


def serve_cspy(port: int, profile: bool) -> None:
    sys.path.insert(0, ROOT)
    import cspy

    def hello(req: Any) -> Any:
        return cspy.http.Response(body=BODY, headers=[("content-type", "text/plain")])

    def main() -> None:
        ln = cspy.net.listen("127.0.0.1", port, backlog=1024)
        print("ready", flush=True)
        cspy.http.serve(ln, hello)

    if not profile:
        cspy.run(main, procs=1)
        return
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    try:
        cspy.run(main, procs=1)
    except KeyboardInterrupt:
        pass
    prof.disable()
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(30)


def serve_gevent(port: int) -> None:
    from gevent import monkey

    monkey.patch_all()
    from gevent import pywsgi

    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
        return [BODY]

    # pywsgi writes a response's head and body in two sends; with Nagle's algorithm on (gevent
    # leaves it on) the body waits for the client's delayed ACK of the head, 40 ms on Linux. As
    # cspy, asyncio (uvicorn) and Go do, turn it off: set on the listener, accepted sockets inherit it.
    import socket as gsocket

    listener = gsocket.socket(gsocket.AF_INET, gsocket.SOCK_STREAM)
    listener.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_REUSEADDR, 1)
    listener.setsockopt(gsocket.IPPROTO_TCP, gsocket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    server = pywsgi.WSGIServer(listener, app, log=None)
    server.start()
    print("ready", flush=True)
    server.serve_forever()


def serve_uvicorn(port: int) -> None:
    import uvicorn

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")]})
        await send({"type": "http.response.body", "body": BODY})

    print("ready", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, http="h11", loop="asyncio", log_level="error",
                access_log=False, lifespan="off", backlog=1024)


# ---- the clients (--client NAME PORT N) --------------------------------------------------------


def client_cspy(port: int, n: int) -> dict[str, Any]:
    sys.path.insert(0, ROOT)
    import cspy

    def main() -> tuple[list[float], float]:
        url = f"http://127.0.0.1:{port}/"
        lat: list[float] = []
        pc = time.perf_counter
        with cspy.http.Client(timeout=30) as client:
            for _ in range(n // 10):  # warm-up
                client.get(url)
            t0 = pc()
            for _ in range(n):
                t = pc()
                r = client.get(url)
                lat.append(pc() - t)
                if r.body != BODY:
                    raise AssertionError(f"wrong body {r.body!r}")
            return lat, pc() - t0

    lat, elapsed = cspy.run(main, procs=1)
    return summarize(lat, elapsed)


def client_httpx(port: int, n: int) -> dict[str, Any]:
    import httpx

    url = f"http://127.0.0.1:{port}/"
    lat: list[float] = []
    pc = time.perf_counter
    with httpx.Client(timeout=30) as client:
        for _ in range(n // 10):
            client.get(url)
        t0 = pc()
        for _ in range(n):
            t = pc()
            r = client.get(url)
            lat.append(pc() - t)
            if r.content != BODY:
                raise AssertionError(f"wrong body {r.content!r}")
        elapsed = pc() - t0
    return summarize(lat, elapsed)


def summarize(lat: list[float], elapsed: float) -> dict[str, Any]:
    lat.sort()
    n = len(lat)
    return {"rps": n / elapsed, "p50_ms": lat[n // 2] * 1e3, "p99_ms": lat[min(n - 1, n * 99 // 100)] * 1e3}


# ---- the driver --------------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() != 0:
        sys.exit("http_wrk: wrk is not installed; install the Debian package: apt-get install -y wrk")
    print("http_wrk: installing wrk (apt-get install -y wrk)", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                   env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    path = shutil.which("wrk")
    if not path:
        sys.exit("http_wrk: apt-get install wrk did not provide a wrk command")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: str, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", core, *cmd] if shutil.which("taskset") and os.cpu_count() and os.cpu_count() >= 2 else cmd  # type: ignore[operator]


def missing(impl: str) -> str | None:
    import importlib.util

    module = {"gevent": "gevent", "uvicorn": "uvicorn", "httpx": "httpx"}.get(impl)
    if module and importlib.util.find_spec(module) is None:
        return f"not installed: {module}"
    return None


def start_server(impl: str, profile: bool = False) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    cmd = [sys.executable, __file__, "--serve", impl, str(port)] + (["--profile"] if profile else [])
    proc = subprocess.Popen(pinned(SERVER_CORE, cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # ready when it accepts a connection
        if proc.poll() is not None:
            raise RuntimeError(f"{impl} server exited: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{impl} server did not start listening within 30 s")


def stop_server(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err or ""


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process ``pid`` has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, port: int, seconds: float, conns: int) -> dict[str, float]:
    cmd = pinned(CLIENT_CORE, [wrk, "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency", f"http://127.0.0.1:{port}/"])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", out, re.M)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)$", out, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    if not (rps and p99 and p50 and total):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    result = {"rps": float(rps[1]), "p50_ms": float(p50[1]) * _UNITS[p50[2]],
              "p99_ms": float(p99[1]) * _UNITS[p99[2]], "requests": float(total[1])}
    if errors:
        result["errors"] = errors[0]  # type: ignore[assignment]
    return result


def server_table(seconds: float, rounds: int, conns: int) -> list[dict[str, Any]]:
    wrk = ensure_wrk()
    runs: dict[str, list[dict[str, float]]] = {impl: [] for impl in SERVERS}
    status = {impl: missing(impl) for impl in SERVERS}
    for r in range(rounds):
        order = [impl for impl in SERVERS if status[impl] is None]
        random.shuffle(order)
        for impl in order:
            try:
                proc, port = start_server(impl)
            except RuntimeError as exc:
                status[impl] = f"error: {str(exc).splitlines()[0][:80]}"
                continue
            try:
                run_wrk(wrk, port, 1, conns)  # warm-up
                cpu0 = cpu_seconds(proc.pid)
                result = run_wrk(wrk, port, seconds, conns)
                result["cpu_us"] = (cpu_seconds(proc.pid) - cpu0) / result["requests"] * 1e6
                runs[impl].append(result)
            finally:
                stop_server(proc)
            print(f"  round {r + 1}: {impl:<8} {result['rps']:>9,.0f} req/s  "
                  f"p99 {result['p99_ms']:.1f} ms  cpu {result['cpu_us']:.0f} us/req", file=sys.stderr)
    rows = []
    for impl in SERVERS:
        row: dict[str, Any] = {"impl": impl, "status": status[impl] or "ok", "runs": runs[impl]}
        if runs[impl]:
            row["rps"] = statistics.median(x["rps"] for x in runs[impl])
            row["rps_slowest"] = min(x["rps"] for x in runs[impl])
            row["p99_ms"] = statistics.median(x["p99_ms"] for x in runs[impl])
            row["p99_worst"] = max(x["p99_ms"] for x in runs[impl])
            row["p50_ms"] = statistics.median(x["p50_ms"] for x in runs[impl])
            row["cpu_us"] = statistics.median(x["cpu_us"] for x in runs[impl])
        rows.append(row)
    return rows


def client_table(n: int, rounds: int) -> list[dict[str, Any]]:
    runs: dict[str, list[dict[str, float]]] = {impl: [] for impl in CLIENTS}
    status = {impl: missing(impl) for impl in CLIENTS}
    proc, port = start_server("cspy")
    try:
        for _ in range(rounds):
            order = [impl for impl in CLIENTS if status[impl] is None]
            random.shuffle(order)
            for impl in order:
                cmd = pinned(CLIENT_CORE, [sys.executable, __file__, "--client", impl, str(port), str(n)])
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
                if out.returncode != 0:
                    status[impl] = f"error: {out.stderr.strip().splitlines()[-1:]}"
                    continue
                runs[impl].append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        stop_server(proc)
    rows = []
    for impl in CLIENTS:
        row: dict[str, Any] = {"impl": impl, "status": status[impl] or "ok", "runs": runs[impl]}
        if runs[impl]:
            row["rps"] = statistics.median(x["rps"] for x in runs[impl])
            row["rps_slowest"] = min(x["rps"] for x in runs[impl])
            row["p99_ms"] = statistics.median(x["p99_ms"] for x in runs[impl])
        rows.append(row)
    return rows


NAMES = {"cspy": "cspy.http", "gevent": "gevent.pywsgi", "uvicorn": "uvicorn (h11)", "httpx": "httpx.Client"}


def print_tables(servers: list[dict[str, Any]], clients: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"wrk, 1 thread, {args.conns} keep-alive connections, {args.seconds:g} s x {args.rounds} rounds; "
          f"each server on one core (taskset -c {SERVER_CORE}), wrk on core {CLIENT_CORE}")
    print(f"{'server':<15} {'req/s':>9} {'slowest':>9} {'p50 ms':>7} {'p99 ms':>7} {'worst p99':>9} "
          f"{'cpu us/req':>10}  vs gevent.pywsgi")
    gevent = next((r.get("rps") for r in servers if r["impl"] == "gevent"), None)
    for r in servers:
        if "rps" not in r:
            print(f"{NAMES[r['impl']]:<15} {r['status']}")
            continue
        ratio = f"{r['rps'] / gevent:.2f}x" if gevent else "-"
        print(f"{NAMES[r['impl']]:<15} {r['rps']:>9,.0f} {r['rps_slowest']:>9,.0f} {r['p50_ms']:>7.1f} "
              f"{r['p99_ms']:>7.1f} {r['p99_worst']:>9.1f} {r['cpu_us']:>10.0f}  {ratio}")
    cspy_rps = next((r.get("rps") for r in servers if r["impl"] == "cspy"), None)
    if cspy_rps and gevent:
        verdict = "pass" if cspy_rps >= gevent else "FAIL"
        print(f"target cspy.http >= gevent.pywsgi requests/s: {verdict} ({cspy_rps / gevent:.2f}x)")
    if not clients:
        return
    print()
    print(f"client: {args.requests:,} sequential GETs over one kept-alive connection to a cspy.http "
          f"server (core {SERVER_CORE}); client on core {CLIENT_CORE}; {args.rounds} rounds")
    print(f"{'client':<17} {'req/s':>9} {'slowest':>9} {'p99 ms':>7}  vs httpx")
    httpx = next((r.get("rps") for r in clients if r["impl"] == "httpx"), None)
    for r in clients:
        if "rps" not in r:
            print(f"{'cspy.http.Client' if r['impl'] == 'cspy' else NAMES[r['impl']]:<17} {r['status']}")
            continue
        ratio = f"{r['rps'] / httpx:.2f}x" if httpx else "-"
        name = "cspy.http.Client" if r["impl"] == "cspy" else NAMES[r["impl"]]
        print(f"{name:<17} {r['rps']:>9,.0f} {r['rps_slowest']:>9,.0f} {r['p99_ms']:>7.2f}  {ratio}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", nargs=2, metavar=("IMPL", "PORT"), help="run one server (used by the driver)")
    ap.add_argument("--client", nargs=3, metavar=("IMPL", "PORT", "N"), help="run one client (used by the driver)")
    ap.add_argument("--seconds", type=float, default=10, help="wrk duration per run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--conns", type=int, default=100, help="wrk connections (default 100)")
    ap.add_argument("--requests", type=int, default=10_000, help="client-side requests (default 10,000)")
    ap.add_argument("--no-client", action="store_true", help="skip the client-side table")
    ap.add_argument("--profile", action="store_true", help="profile one cspy server run (cProfile, to stderr)")
    ap.add_argument("--json", metavar="FILE", help="also write every run as JSON")
    args = ap.parse_args()
    if args.serve:
        impl, port = args.serve[0], int(args.serve[1])
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            if impl == "cspy":
                serve_cspy(port, args.profile)
            elif impl == "gevent":
                serve_gevent(port)
            else:
                serve_uvicorn(port)
        except KeyboardInterrupt:
            pass
        return
    if args.client:
        impl, port, n = args.client[0], int(args.client[1]), int(args.client[2])
        print(json.dumps(client_cspy(port, n) if impl == "cspy" else client_httpx(port, n)))
        return
    if args.profile:
        wrk = ensure_wrk()
        proc, port = start_server("cspy", profile=True)
        print(json.dumps(run_wrk(wrk, port, args.seconds, args.conns)))
        print(stop_server(proc), file=sys.stderr)
        return
    servers = server_table(args.seconds, args.rounds, args.conns)
    clients = [] if args.no_client else client_table(args.requests, args.rounds)
    print_tables(servers, clients, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"servers": servers, "clients": clients, "args": vars(args)}, f, indent=2)


if __name__ == "__main__":
    main()
