"""Protocol constants, defined once: WebSocket opcodes and close codes (RFC 6455), the
fixed SockJS frames, the HTTP request reader's limits, and the WebSocket handshake's GUID and
refusals.  Pure Python that imports nothing, so that the kernels, their twins and the
sans-I/O core all take them from here."""

# RFC 6455 5.2 opcodes.
OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

# The frame header's reserved bits (RFC 6455 5.2); RSV1 is permessage-deflate's (RFC 7692).
RSV1, RSV2, RSV3 = 0x40, 0x20, 0x10
RSV_BITS = RSV1 | RSV2 | RSV3

# RFC 6455 7.4.1 close codes we send.
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED = 1003
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011

# Close codes a peer may send (RFC 6455 7.4, IANA registry); 1005, 1006 and 1015 are for
# reporting only and never appear on the wire.  3000-4999 are the applications'.
VALID_CLOSE_CODES = frozenset([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                               1013, 1014])

# The fixed SockJS frames.
OPEN_FRAME = b"o"
HEARTBEAT_FRAME = b"h"

# The HTTP request reader's default limits, and its fixed one on a chunk-size or trailer line.
MAX_REQUEST_LINE = 8192
MAX_HEAD = 64 * 1024
MAX_CHUNK_LINE = 1024

# RFC 6455 1.3: what a Sec-WebSocket-Key is suffixed with before its SHA-1.
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# How a WebSocket handshake is refused, by what is wrong with it: (status, reason, extra
# headers), as ``response.error`` takes them.  The handshake kernel returns one of these.
NEEDS_HTTP11 = (400, "WebSocket needs HTTP/1.1.", ())
NOT_WEBSOCKET = (400, 'Can "Upgrade" only to "WebSocket".', ())
NO_CONNECTION_UPGRADE = (400, '"Connection" must be "Upgrade".', ())
HAS_BODY = (400, "A WebSocket handshake has no body.", ())
WRONG_VERSION = (426, "Only WebSocket version 13 is supported.", (("Sec-WebSocket-Version", "13"),))
BAD_KEY = (400, "Invalid Sec-WebSocket-Key.", ())
