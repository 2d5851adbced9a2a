# The compiled twin of httpresponse_py takes and returns the same: its names, its types.
from txsockjs._speedups.httpresponse_py import LAST_CHUNK as LAST_CHUNK
from txsockjs._speedups.httpresponse_py import MAX_CACHED_HEADS as MAX_CACHED_HEADS
from txsockjs._speedups.httpresponse_py import MAX_CACHED_HEAD_BYTES as MAX_CACHED_HEAD_BYTES
from txsockjs._speedups.httpresponse_py import Response as Response
from txsockjs._speedups.httpresponse_py import chunk as chunk
from txsockjs._speedups.httpresponse_py import head_lines as head_lines
from txsockjs._speedups.httpresponse_py import response_head as response_head
