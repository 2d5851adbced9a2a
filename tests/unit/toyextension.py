"""A toy WebSocket extension, to drive the extension seam without a real one."""

from txsockjs._speedups import WebSocketError
from txsockjs._speedups.constants import RSV2


class Toy(object):
    """Frames reversed on the wire (valid text reversed is not valid UTF-8), each frame's
    payload ``repeat`` times longer once decoded."""

    def __init__(self, name, rsv, repeat):
        self.name = name
        self.rsv = rsv
        self.repeat = repeat
        self.decoded = []  # (op, payload, fin, budget) per call

    def decode(self, op, payload, fin, budget):
        self.decoded.append((op, payload, fin, budget))
        if payload == b"boom":
            raise WebSocketError(1007, "toy cannot decode")
        return payload[::-1] * self.repeat

    def encode(self, opcode, payload):
        return self.rsv, payload[::-1]


class ToyFactory(object):
    """Accepts an offer with a ``repeat`` parameter."""

    def __init__(self, name="x-toy", rsv=RSV2):
        self.name = name
        self.rsv = rsv

    def accept(self, params):
        params = dict(params)
        if "repeat" not in params:
            return None
        return Toy(self.name, self.rsv, int(params["repeat"])), "repeat=" + params["repeat"]
