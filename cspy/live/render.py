"""Rendering: a ``Sample`` of the scheduler -> rich renderables. Pure.

Nothing here reads the runtime, a clock or a terminal: every function maps plain data (the
snapshot, the rates, the peaks) to a renderable, so the dashboard can be tested by rendering a
known snapshot to text, and the README image is drawn by the same code (scripts/).

The dashboard, top to bottom:
- header: uptime, processors, tasks by state, switches/s, spawns/s, steals/s, cross-processor
  hand-offs/s;
- one row per processor: thread, state, current task, runnext, local queue (as a bar), inbox,
  steals in/out; then the global queue;
- parked tasks by wait reason (a histogram) beside the busiest channels;
- the last sysmon warnings (tasks that held a processor for more than a time slice).

Bars are scaled to the largest value on screen (at least ``MIN_SCALE``), so rows compare with
each other in one frame; the number is always printed next to the bar.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cspy.live.channels import ChanRow
from cspy.live.sample import Peaks, Rates, Sample, local_queue
from cspy.scheduler import ProcStats, TaskInfo
from cspy.scheduler.runtime import LongRunning  # not re-exported by cspy.scheduler (yet)

__all__ = ["dashboard", "summary", "bar", "human"]

BAR_WIDTH = 20
# A queue of 3 should not fill the bar: below this the scale stays fixed.
MIN_SCALE = 16
# Shown on one screen: more channels or warnings than this are left out (busiest/latest first).
MAX_CHANNELS = 8
MAX_WARNINGS = 3

_EIGHTHS = " ▏▎▍▌▋▊▉"

STATE_STYLE = {"running": "bold green", "idle": "dim", "scheduling": "yellow", "spinning": "cyan"}


def dashboard(sample: Sample, rates: Rates) -> RenderableType:
    """The whole live view for one sample."""
    parts: list[RenderableType] = [header(sample, rates), processors(sample)]
    lower = Table.grid(padding=(0, 4))
    lower.add_row(parked(sample), channels(sample.channels[:MAX_CHANNELS]))
    parts.append(lower)
    warn = warnings(sample)
    if warn is not None:
        parts.append(warn)
    return Panel(Group(*parts), title="[b]cspy[/b] live", title_align="left", border_style="blue")


def header(sample: Sample, rates: Rates) -> Text:
    s = sample.stats
    running = sum(1 for p in s.procs if p.current is not None)
    t = Text()
    t.append(f"up {s.uptime:.1f}s", style="bold")
    t.append(f"   procs {len(s.procs)}   ")
    t.append(f"tasks {s.tasks}", style="bold")
    t.append(f" (running {running}, runnable {s.runnable}, waiting {s.waiting})\n")
    t.append(f"switches/s {human(rates.switches)}   spawns/s {human(rates.spawns)}   ")
    t.append(f"steals/s {human(rates.steals)}   hand-offs/s {human(rates.handoffs)}   ")
    t.append(f"timers {s.timers}   blocking/I/O in flight {s.pending_ops}   threads {sample.threads}")
    return t


def processors(sample: Sample) -> Table:
    s = sample.stats
    queues = [local_queue(p.runq, p.runnext is not None) for p in s.procs]
    scale = max([MIN_SCALE, s.global_queue, *queues])
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), expand=False)
    for col in ("P", "thread", "state", "current task", "runnext", "local queue", "inbox", "steals in/out"):
        table.add_column(col, no_wrap=True, justify="right" if col in ("inbox", "steals in/out") else "left")
    for p, q in zip(s.procs, queues):
        table.add_row(*_proc_row(p, q, scale))
    table.add_section()
    table.add_row(Text("global queue", style="bold"), "", "", "", "", bar(s.global_queue, scale), "", "")
    return table


def _proc_row(p: ProcStats, queue: int, scale: int) -> list[str | Text]:
    return [
        f"P{p.id}",
        p.thread or "-",
        Text(p.state, style=STATE_STYLE.get(p.state, "")),
        _task(p.current),
        _task(p.runnext),
        bar(queue, scale),
        str(p.inbox),
        f"{p.steals_in} / {p.steals_out}",
    ]


def _task(t: TaskInfo | None) -> str:
    if t is None:
        return "-"
    return str(t.id) if t.name == f"task-{t.id}" else f"{t.id} {t.name}"


def parked(sample: Sample) -> Table:
    """Parked tasks by wait reason, most first."""
    table = Table(title="parked by reason", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("reason", no_wrap=True)
    table.add_column("tasks", no_wrap=True)
    rows = sorted(sample.stats.parked.items(), key=lambda kv: (-kv[1], kv[0]))
    scale = max([MIN_SCALE, *(n for _, n in rows)])
    for reason, n in rows:
        table.add_row(reason, bar(n, scale, width=BAR_WIDTH // 2))
    if not rows:
        table.add_row(Text("none", style="dim"), "")
    return table


def channels(rows: tuple[ChanRow, ...]) -> Table:
    """The busiest channels: capacity, buffered values (bar), waiting senders/receivers."""
    table = Table(title="busiest channels", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
    for col in ("channel", "cap", "len", "senders", "receivers"):
        table.add_column(col, no_wrap=True, justify="right" if col in ("cap", "senders", "receivers") else "left")
    for r in rows:
        label = Text(r.label, style="dim" if r.closed else "")
        if r.closed:
            label.append(" (closed)")
        fill = bar(r.len, max(r.cap, 1), width=BAR_WIDTH // 2) if r.cap else Text(str(r.len))
        table.add_row(label, str(r.cap), fill, str(r.senders), str(r.receivers))
    if not rows:
        table.add_row(Text("none tracked", style="dim"), "", "", "", "")
    return table


def warnings(sample: Sample) -> Text | None:
    """The latest sysmon detections of a task holding its processor, or None if there are none."""
    recent = sample.stats.long_running_recent[-MAX_WARNINGS:]
    if not recent:
        return None
    started = sample.clock - sample.stats.uptime
    t = Text(f"sysmon: {sample.stats.long_running} task(s) held a processor > 10 ms", style="bold yellow")
    for rec in reversed(recent):
        t.append("\n")
        t.append(_warning(rec, started), style="yellow")
    return t


def _warning(rec: LongRunning, started: float) -> str:
    name = "" if rec.task_name == f"task-{rec.task_id}" else f" {rec.task_name!r}"
    return (
        f"  task {rec.task_id}{name} held P{rec.proc} for {rec.held * 1000:.0f} ms "
        f"(at {max(0.0, rec.at - started):.1f}s) without yielding"
    )


def summary(last: Sample, peaks: Peaks) -> Panel:
    """The one-screen report printed when a live run ends."""
    s = last.stats
    avg = s.switches / s.uptime if s.uptime > 0 else 0.0
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("ran", f"{s.uptime:.2f}s on {len(s.procs)} processor(s)")
    t.add_row("tasks", f"{s.spawned} spawned, {s.finished} finished, peak {peaks.tasks} alive at once")
    t.add_row("switches", f"{s.switches} ({human(avg)}/s average, {human(peaks.switches_per_s)}/s peak)")
    t.add_row("steals", f"{s.steals} ({', '.join(f'P{p.id} {p.steals_in} in / {p.steals_out} out' for p in s.procs)})")
    t.add_row("hand-offs", f"{s.handoffs} tasks readied from another processor's thread")
    t.add_row("blocking calls", str(s.offload_calls))
    t.add_row("sysmon", f"{s.long_running} task(s) held a processor > 10 ms")
    t.add_row("peak queues", f"global {peaks.global_queue}; local " + ", ".join(
        f"P{i} {q}" for i, q in enumerate(peaks.runq)
    ) + "; inbox " + ", ".join(f"P{i} {q}" for i, q in enumerate(peaks.inbox)))
    t.add_row("peak parked", f"{peaks.waiting} waiting, {peaks.runnable} runnable")
    note = Text(f"peaks as seen by {peaks.samples} samples", style="dim")
    return Panel(Group(t, note), title="[b]cspy[/b] run summary", title_align="left", border_style="blue")


def bar(value: int, scale: int, width: int = BAR_WIDTH) -> Text:
    """``value`` as a horizontal bar ``width`` cells wide at full ``scale``, then the number."""
    scale = max(scale, 1)
    eighths = round(min(value, scale) / scale * width * 8)
    full, part = divmod(eighths, 8)
    cells = "█" * full + (_EIGHTHS[part] if part else "")
    t = Text(cells.ljust(width), style="cyan")
    t.append(f" {value}", style="bold" if value else "dim")
    return t


def human(x: float) -> str:
    """1234 -> '1.2k', 5600000 -> '5.6M'; small numbers as they are."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.1f}{unit}"
    return f"{x:.0f}"
