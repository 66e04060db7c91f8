"""Stateful model test: random send/recv/close/select(default=True) on a few buffered channels,
compared step by step against a sequential model (a list per channel and a closed flag).

The operations run outside a runtime, so an operation that would block cannot wait: it raises
``RuntimeError("... would block outside a cspy task ...")``. That makes "would block" observable,
and the model must predict it exactly (and nothing may be left queued afterwards).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import cspy

N_CHANS = 3
chan_index = st.integers(0, N_CHANS - 1)
values = st.integers(-1000, 1000)
case_spec = st.tuples(st.booleans(), chan_index, values)  # (is_send, channel, value)


class ChannelModel(RuleBasedStateMachine):
    chans: list[cspy.Chan[int]]
    model: list[list[int]]
    caps: list[int]
    closed: list[bool]

    @initialize(caps=st.lists(st.integers(0, 3), min_size=N_CHANS, max_size=N_CHANS))
    def setup(self, caps: list[int]) -> None:
        self.caps = caps
        self.chans = [cspy.Chan[int](c) for c in caps]
        self.model = [[] for _ in caps]
        self.closed = [False] * N_CHANS

    @rule(i=chan_index, v=values)
    def send(self, i: int, v: int) -> None:
        if self.closed[i]:
            with pytest.raises(cspy.ChannelClosed):
                self.chans[i].send(v)
        elif len(self.model[i]) < self.caps[i]:
            self.chans[i].send(v)
            self.model[i].append(v)
        else:
            with pytest.raises(RuntimeError, match="would block"):
                self.chans[i].send(v)

    @rule(i=chan_index)
    def recv(self, i: int) -> None:
        if self.model[i]:
            assert self.chans[i].recv() == self.model[i].pop(0)
        elif self.closed[i]:
            with pytest.raises(cspy.ChannelClosed):
                self.chans[i].recv()
        else:
            with pytest.raises(RuntimeError, match="would block"):
                self.chans[i].recv()

    @rule(i=chan_index)
    def recv_ok(self, i: int) -> None:
        if self.model[i]:
            assert self.chans[i].recv_ok() == (self.model[i].pop(0), True)
        elif self.closed[i]:
            assert self.chans[i].recv_ok() == (None, False)
        else:
            with pytest.raises(RuntimeError, match="would block"):
                self.chans[i].recv_ok()

    @rule(i=chan_index)
    def close(self, i: int) -> None:
        if self.closed[i]:
            with pytest.raises(cspy.ChannelClosed):
                self.chans[i].close()
        else:
            self.chans[i].close()
            self.closed[i] = True

    def ready(self, spec: tuple[bool, int, int]) -> bool:
        is_send, i, _ = spec
        if is_send:
            return self.closed[i] or len(self.model[i]) < self.caps[i]
        return bool(self.model[i]) or self.closed[i]

    @rule(specs=st.lists(case_spec, max_size=4))
    def select_default(self, specs: list[tuple[bool, int, int]]) -> None:
        cases: list[Any] = [
            cspy.Send(self.chans[i], v) if is_send else cspy.Recv(self.chans[i]) for is_send, i, v in specs
        ]
        ready = [k for k, s in enumerate(specs) if self.ready(s)]
        try:
            k, value, ok = cspy.select(*cases, default=True)
        except cspy.ChannelClosed:
            assert any(specs[k][0] and self.closed[specs[k][1]] for k in ready)
            return
        if not ready:
            assert (k, value, ok) == (-1, None, False)
            return
        assert k in ready
        is_send, i, v = specs[k]
        assert not (is_send and self.closed[i])  # that case would have raised
        if is_send:
            assert (value, ok) == (None, True)
            self.model[i].append(v)
        elif self.model[i]:
            assert (value, ok) == (self.model[i].pop(0), True)
        else:
            assert (value, ok) == (None, False)

    @invariant()
    def matches_model(self) -> None:
        for ch, m, closed in zip(self.chans, self.model, self.closed):
            assert len(ch) == len(m)
            assert ch.closed == closed
            assert ch.waiting_senders == 0 and ch.waiting_receivers == 0


ChannelModel.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestChannelModel = pytest.mark.timeout(120)(ChannelModel.TestCase)
