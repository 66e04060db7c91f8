"""Cookbook: high-concurrency bottlenecks and the tool that removes each one.

Task pools against unbounded spawning, lock choice under contention, lazy initialisation,
read-mostly caches, singleflight against a cache stampede, rate limiters, circuit breakers,
parallel batches, an API gateway over real TCP and that gateway shedding overload (rate limit,
concurrency limit, circuit breaker, deadlines) -- each prints the numbers that show the difference.
"""
