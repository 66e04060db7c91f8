"""Basics: the concurrency chapters of Go by Example, task by task.

Tasks, channels, buffering, synchronisation, directions, select, timeouts, non-blocking
operations, closing and ranging over channels, timers, tickers, worker pools, WaitGroups, rate
limiting, atomic counters, mutexes, a stateful task and context cancellation.
"""
