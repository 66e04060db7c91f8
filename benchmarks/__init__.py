"""cspy's benchmark suite: speed and memory against gevent, asyncio, trio, threading and goless.

Run ``python -m benchmarks`` (see run.py for options and docs/benchmarks.md for the method).
Workloads live in one module per family (scheduler, channels, sync, pool); each run of each
implementation happens in a fresh interpreter (child.py) and the table shows medians and ratios
measured in the same invocation.
"""
