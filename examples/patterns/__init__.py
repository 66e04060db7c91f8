"""Patterns: the classic Go concurrency patterns (Pike's talks, the Go blog's pipelines).

Ping-pong, generators, fan-in with select, a daisy chain of 100,000 tasks, the prime sieve,
pipelines with cancellation, bounded parallelism and the replicated "Google search".
"""
