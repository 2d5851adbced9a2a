# The compiled twin of wsframes_py takes and returns the same: its names, its types.
from txsockjs._speedups.errors import WebSocketError as WebSocketError
from txsockjs._speedups.wsframes_py import CLOSE_PROTOCOL_ERROR as CLOSE_PROTOCOL_ERROR
from txsockjs._speedups.wsframes_py import CLOSE_TOO_BIG as CLOSE_TOO_BIG
from txsockjs._speedups.wsframes_py import CLOSE_UNSUPPORTED as CLOSE_UNSUPPORTED
from txsockjs._speedups.wsframes_py import OP_BINARY as OP_BINARY
from txsockjs._speedups.wsframes_py import OP_CLOSE as OP_CLOSE
from txsockjs._speedups.wsframes_py import OP_CONTINUATION as OP_CONTINUATION
from txsockjs._speedups.wsframes_py import OP_PING as OP_PING
from txsockjs._speedups.wsframes_py import OP_PONG as OP_PONG
from txsockjs._speedups.wsframes_py import OP_TEXT as OP_TEXT
from txsockjs._speedups.wsframes_py import FrameParser as FrameParser
from txsockjs._speedups.wsframes_py import build_frame as build_frame
