"""Once: initialise a shared resource lazily, exactly once, however many tasks race for it.

Go idiom: `var once sync.Once; once.Do(loadConfig)` (and Go 1.21's `sync.OnceValue`). The
naive "if not loaded: load()" is a check-then-act race: every task that checks before the
first load finishes starts a load of its own -- here each load is slow, so all --tasks do.
With `cspy.Once`, the first caller runs the loader and the others *wait* for it to finish
(they never see a half-built value), then all share the one result.

Live view (`cspy examples run once --live --tasks 10000 --load 2`): one task in "sleep" (the
loader), every other one parked on "sync.Once.Do" until it finishes.
"""

from __future__ import annotations

import argparse
from typing import Any

import cspy


class Config:
    """An expensive resource: loading it takes `load` seconds and is counted."""

    loads = cspy.AtomicInt()

    def __init__(self, load: float) -> None:
        Config.loads.add(1)
        cspy.sleep(load)  # read a file, call a service...
        self.values = {"workers": 8, "region": "eu"}


class NaiveLazy:
    def __init__(self, load: float) -> None:
        self.load = load
        self.config: Config | None = None

    def get(self) -> Config:
        if self.config is None:  # racy: many tasks get here before the first load ends
            self.config = Config(self.load)
        return self.config


class OnceLazy:
    def __init__(self, load: float) -> None:
        self.load = load
        self.once = cspy.Once()
        self.config: Config | None = None

    def _init(self) -> None:
        self.config = Config(self.load)

    def get(self) -> Config:
        self.once.do(self._init)  # first caller loads; the rest wait for it
        assert self.config is not None
        return self.config


def race(lazy: Any, tasks: int) -> tuple[int, int]:
    """`tasks` tasks all ask for the config at once; (loads, distinct objects they got)."""
    Config.loads.store(0)
    got: list[Config] = []
    wg = cspy.WaitGroup()

    def use() -> None:
        try:
            got.append(lazy.get())
        finally:
            wg.done()

    for _ in range(tasks):
        wg.add(1)
        cspy.go(use)
    wg.wait()
    return Config.loads.load(), len({id(c) for c in got})


def program(tasks: int, load: float) -> None:
    loads, objects = race(NaiveLazy(load), tasks)
    print(f"naive check-then-load: {loads} loads, {objects} different configs for {tasks} tasks")
    loads, objects = race(OnceLazy(load), tasks)
    print(f"with cspy.Once:        {loads} loads, {objects} different configs for {tasks} tasks")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100, help="racing tasks (default 100)")
    parser.add_argument("--load", type=float, default=0.05, help="seconds per load (default 0.05)")
    args = parser.parse_args(argv)
    cspy.run(program, args.tasks, args.load)


if __name__ == "__main__":
    main()
