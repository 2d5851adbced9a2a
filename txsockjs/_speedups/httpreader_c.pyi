# The compiled twin of httpreader_py takes and returns the same: its names, its types.
from txsockjs._speedups.httpreader_py import MAX_HEAD as MAX_HEAD
from txsockjs._speedups.httpreader_py import MAX_REQUEST_LINE as MAX_REQUEST_LINE
from txsockjs._speedups.httpreader_py import Request as Request
from txsockjs._speedups.httpreader_py import RequestReader as RequestReader
from txsockjs._speedups.httpreader_py import connection_tokens as connection_tokens
