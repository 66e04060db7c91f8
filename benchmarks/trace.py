"""What observing costs: the ping-pong and 100-to-1 fan-in workloads with tracing off, with the
flight recorder on, with a full execution trace recorded, and with the block profile at rate 1.

"off" is cspy as every program runs it: the scheduler's hooks are one ``p.trace is not None``
check each. "flight" keeps the last seconds in a bounded ring (cspy.trace.FlightRecorder, 32
MiB); "full" records every event of the run in memory (written nowhere: the export happens after
the run and is not what a program pays while it runs); "block=1" samples every blocking event
(cspy.pprof.set_block_profile_rate(1)), stacks and all. Each run reports the events it recorded,
so the table's notes can give bytes per event (recorder.EVENT_BYTES is the bound the ring uses).
Targets: flight <= 1.10x off on ping-pong (the issue's), full <= 1.30x off on fan-in.
"""

from __future__ import annotations

from typing import Any

from benchmarks.channels import FAN_IN_PRODUCERS, buffered_cspy, pingpong_cspy
from benchmarks.spec import Impl, Measurement, Target, Workload

_REQ = ("cspy:Chan",)


def _observed(mode: str, fn: Any, n: int, **kw: Any) -> Measurement:
    import cspy
    from cspy.scheduler import runtime

    recs: list[Any] = []
    fr = None
    if mode in ("full", "full-count"):
        from cspy.trace import hook
        from cspy.trace.recorder import Recording

        def attach(rt: Any) -> None:
            obs = hook.observer(rt)
            obs.recording = Recording(rt)
            recs.append(obs.recording)
            obs.refresh()

        runtime.attach_hooks.append(attach)
    elif mode == "flight":
        import cspy.trace

        fr = cspy.trace.FlightRecorder()
        fr.start()
    elif mode == "block":
        import cspy.pprof

        cspy.pprof.set_block_profile_rate(1)
    try:
        m = fn(n, **kw)
    finally:
        if fr is not None:
            fr.stop()
    if recs:
        m["events"] = sum(len(b.events) for b in recs[0].buffers())
    assert cspy is not None
    return m


def pingpong_observed(n: int, mode: str) -> Measurement:
    return _observed(mode, pingpong_cspy, n, procs=1)


def fanin_observed(n: int, mode: str) -> Measurement:
    return _observed(mode, buffered_cspy, n, procs=1, producers=FAN_IN_PRODUCERS)


def _impls(fn: Any) -> tuple[Impl, ...]:
    return (
        Impl("trace off", fn, {"mode": "off"}, requires=_REQ, note="procs=1, as every program runs"),
        Impl("flight", fn, {"mode": "flight"}, requires=_REQ, note="FlightRecorder ring, 32 MiB"),
        Impl("full", fn, {"mode": "full"}, requires=_REQ, note="every event kept in memory"),
        Impl("block=1", fn, {"mode": "block"}, requires=_REQ, note="set_block_profile_rate(1)"),
    )


WORKLOADS = (
    Workload(
        name="trace_pingpong",
        title="ping-pong round trip, observed (procs=1)",
        n=100_000,
        quick_n=1_000,
        impls=_impls(pingpong_observed),
        target=Target("trace off", 1.10, ("flight",)),
    ),
    Workload(
        name="trace_fanin",
        title=f"{FAN_IN_PRODUCERS}-to-1 fan-in per message, observed (procs=1)",
        n=200_000,
        quick_n=2_000,
        impls=_impls(fanin_observed),
        target=Target("trace off", 1.30, ("full",)),
    ),
)
