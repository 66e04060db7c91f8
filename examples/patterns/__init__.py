"""Patterns: the classic Go concurrency patterns (Pike's talks, the Go blog's pipelines).

Ping-pong, generators, fan-in with select, a daisy chain of 100,000 tasks, the prime sieve,
pipelines with cancellation, bounded parallelism, the replicated "Google search" and a TCP echo
server with a task per connection.
"""
