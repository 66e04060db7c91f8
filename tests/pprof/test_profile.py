"""Go's sampling rules for the block and mutex profiles (cspy/pprof/profile.py), exactly."""

from __future__ import annotations

from cspy.pprof.profile import EventProfile, delta

STACK = (("f.py", "f", 1, 2),)


def test_block_rate_one_keeps_every_event_as_it_was() -> None:
    p = EventProfile("block")
    p.rate = 1
    assert all(p.sampled(d) for d in (1, 5, 10**9))
    p.add(5_000, STACK, ())
    p.add(7_000, STACK, ())
    assert p.snapshot() == {(STACK, ()): (2.0, 12_000)}


def test_block_short_events_are_debiased() -> None:
    # Go (CL 299991): an event shorter than the rate counts rate/delay times, with rate ns.
    p = EventProfile("block")
    p.rate = 1_000
    p.add(10, STACK, ())
    assert p.snapshot() == {(STACK, ()): (100.0, 1_000)}
    p.add(5_000, STACK, ())  # at or above the rate: as it was
    assert p.snapshot() == {(STACK, ()): (101.0, 6_000)}


def test_block_sampling_probability_is_delay_over_rate() -> None:
    p = EventProfile("block")
    p.rate = 1_000
    p._rand.seed(7)
    kept = sum(p.sampled(100) for _ in range(20_000))
    assert 1_600 <= kept <= 2_400  # ~ (100 + 1) / 1000 of them
    assert all(p.sampled(1_000) for _ in range(100))
    p.rate = 0
    assert not p.sampled(10**12)


def test_mutex_fraction_scales_by_the_rate() -> None:
    p = EventProfile("mutex")
    p.rate = 4
    p.add(3_000, STACK, ())
    assert p.snapshot() == {(STACK, ()): (4.0, 12_000)}
    p._rand.seed(3)
    kept = sum(p.sampled() for _ in range(20_000))
    assert 4_400 <= kept <= 5_600  # one in four
    p.rate = 1
    assert all(p.sampled() for _ in range(100))


def test_delta_is_what_was_added() -> None:
    p = EventProfile("block")
    p.rate = 1
    p.add(10, STACK, ())
    before = p.snapshot()
    p.add(30, STACK, ())
    p.add(5, STACK[::-1] + (("g.py", "g", 1, 1),), ())
    d = delta(before, p.snapshot())
    assert d[(STACK, ())] == (1.0, 30)
    assert len(d) == 2
