# The compiled twin of httphead_py takes and returns the same: its names, its types.
from txsockjs._speedups.kernelerrors import HTTPError as HTTPError
from txsockjs._speedups.httphead_py import MAX_HEADERS as MAX_HEADERS
from txsockjs._speedups.httphead_py import parse_request_head as parse_request_head
from txsockjs._speedups.httphead_py import find_head_end as find_head_end
