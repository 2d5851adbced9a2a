"""What a message costs a session whose client stopped reading, under "drop_oldest".

A full buffer drops its oldest message for each new one.  At the default 1 MiB limit and
20-byte messages it holds 52k of them; cutting the dropped one out of the list each time
moved the whole list on every message (7.7 us against 0.13 with room: 60x).  The goal: a
send into the full buffer costs at most 6.7x one into a buffer with room (it also measures
and drops a message, and cuts the list once in a while: measured 3.7x).
"""

import pytest

from conftest import record
from txsockjs.protocol.sendbuffer import SendBuffer

LIMIT = 1 << 20
MESSAGE = "x" * 20
SENDS = 20000


def _full():
    buffer = SendBuffer(LIMIT, "drop_oldest")
    while buffer.add(MESSAGE, 20) and buffer.dropped == 0:
        pass
    return buffer


def _with_room():
    return SendBuffer(LIMIT * 64, "drop_oldest")


@pytest.mark.parametrize("state", ["with room", "full, drop_oldest"])
def test_send_into_a_buffer(benchmark, state):
    make = _with_room if state == "with room" else _full

    def setup():
        return (make(),), {}

    def sends(buffer):
        add = buffer.add
        for _ in range(SENDS):
            add(MESSAGE, 20)

    goals = [("with room", 0.15)] if state != "with room" else []
    record(benchmark, "send buffer, 20 B messages", state, SENDS, "msgs", goals)
    benchmark.pedantic(sends, setup=setup, rounds=5)
