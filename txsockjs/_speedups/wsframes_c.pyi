# The compiled twin of wsframes_py takes and returns the same: its names, its types.
from txsockjs._speedups.kernelerrors import WebSocketError as WebSocketError
from txsockjs._speedups.constants import CLOSE_PROTOCOL_ERROR as CLOSE_PROTOCOL_ERROR
from txsockjs._speedups.constants import CLOSE_TOO_BIG as CLOSE_TOO_BIG
from txsockjs._speedups.constants import CLOSE_UNSUPPORTED as CLOSE_UNSUPPORTED
from txsockjs._speedups.wsframes_py import FrameParser as FrameParser
from txsockjs._speedups.wsframes_py import build_frame as build_frame
