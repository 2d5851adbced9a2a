"""SendBuffer against a plain model of its policies: what it holds, drops and counts."""

import pytest
from hypothesis import given, settings, strategies as st

from txsockjs.protocol.sendbuffer import Budget, SendBuffer, utf8_size


class Model(object):
    """The policies as the docs say them, on a plain list."""

    def __init__(self, limit, policy):
        self.limit, self.policy = limit, policy
        self.messages, self.dropped = [], 0

    def size(self):
        return sum(utf8_size(m) for m in self.messages)

    def add(self, message):
        size = utf8_size(message)
        if self.size() + size > self.limit:
            if self.policy == "close":
                return False
            if self.policy == "drop_newest" or size > self.limit:
                self.dropped += 1
                return False
            while self.size() + size > self.limit:
                self.messages.pop(0)
                self.dropped += 1
        self.messages.append(message)
        return True

    def shed(self, excess):
        count = freed = 0
        while freed < excess and self.messages:
            message = self.messages.pop(0 if self.policy == "drop_oldest" else -1)
            freed += utf8_size(message)
            count += 1
        self.dropped += count
        return count

    def take(self):
        taken, self.messages = self.messages, []
        return taken


steps = st.lists(st.one_of(
    st.tuples(st.just("add"), st.text(alphabet="ab\u20ac", max_size=12)),
    st.tuples(st.just("shed"), st.integers(1, 40)),
    st.tuples(st.just("take"), st.none())), max_size=60)


@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest", "close"])
def test_the_buffer_holds_drops_and_counts_as_the_model(policy):
    @settings(max_examples=300, deadline=None)
    @given(steps, st.integers(1, 40))
    def run(script, limit):
        budget = Budget()
        buffer, model = SendBuffer(limit, policy, budget), Model(limit, policy)
        for step, arg in script:
            if step == "add":
                assert buffer.add(arg, utf8_size(arg)) == model.add(arg)
            elif step == "shed":
                assert buffer.shed(arg) == model.shed(arg)
            else:
                assert list(buffer.take()) == model.take()  # (the empty one is a tuple)
            assert buffer.queued() == model.messages and len(buffer) == len(model.messages)
            assert bool(buffer) == bool(model.messages)
            assert buffer.size == model.size() == budget.used
            assert buffer.dropped == model.dropped
    run()


def test_a_full_drop_oldest_buffer_moves_its_list_once_in_a_while():
    """Once full, each message drops the oldest: the dropped ones are cut out of the list
    when they are half of it, not one at a time (that moved the whole list, 52k entries at
    a 1 MiB limit, on every message).  Dropped messages are let go at once."""
    buffer = SendBuffer(1000, "drop_oldest")
    for number in range(100):
        buffer.add("%09d" % number, 9)   # (111 of 9 bytes fit: full from the 112th on)
    lists = set()
    for number in range(100, 400):
        buffer.add("%09d" % number, 9)
        lists.add(len(buffer.messages))
        assert buffer.messages[:buffer.head] == [None] * buffer.head
        assert buffer.head <= len(buffer.messages) // 2
    assert len(buffer) == 111 and buffer.queued()[0] == "%09d" % 289
    assert buffer.take()[-1] == "%09d" % 399 and len(buffer) == 0 and buffer.head == 0
