"""Sec-WebSocket-Extensions and the inflate path (txsockjs.protocol.wsextensions,
txsockjs.protocol.deflate): what a client offers, and what it sends compressed.

Input: 2 control bytes (the message budget and where the header ends), then a header
value and the payload of compressed frames.  Checked: parse_offers returns offers or raises
ValueError, nothing else; negotiate with our permessage-deflate never raises and, when it
accepts, answers a header that parses back to one offer of permessage-deflate; decoding
arbitrary bytes as compressed frames (split in two, the second final) never yields more
than the budget and fails only with WebSocketError (1002 after a final block, 1007 for what
is not deflate data, 1009 over the budget); a message we compress decodes back to itself.
"""

import harness
from harness import WebSocketError
from txsockjs.protocol.deflate import DeflateSettings, PerMessageDeflate, PerMessageDeflateFactory
from txsockjs.protocol.wsextensions import negotiate, parse_offers

BUDGETS = (0, 1, 100, 4096, 1 << 16, 1 << 20)
FACTORY = PerMessageDeflateFactory(DeflateSettings())


def test_one_input(data):
    if len(data) < 2:
        return
    budget = BUDGETS[data[0] % len(BUDGETS)]
    cut = 2 + data[1] % max(1, len(data) - 1)
    header = data[2:cut].decode("latin-1")
    payload = data[cut:]
    try:
        parse_offers(header)
    except ValueError:
        pass
    chosen, answer = negotiate(header, [FACTORY])
    if answer is not None:
        [(name, _)] = parse_offers(answer)
        assert name == "permessage-deflate" and len(chosen) == 1
    extension = chosen[0] if chosen else PerMessageDeflate()
    half = len(payload) // 2
    try:
        first = extension.decode(0x41, payload[:half], False, budget)
        rest = extension.decode(0x41, payload[half:], True, budget - len(first))
        assert len(first) + len(rest) <= budget, (len(first), len(rest), budget)
    except WebSocketError as error:
        assert error.code in (1002, 1007, 1009), error
    sender, receiver = PerMessageDeflate(), PerMessageDeflate()
    rsv, wire = sender.encode(0x1, payload)
    message = receiver.decode(0x41, wire, True, len(payload)) if rsv else wire
    assert message == payload


if __name__ == "__main__":
    harness.main(test_one_input)
