# The compiled twin of sockjsframes_py takes and returns the same: its names, its types.
from txsockjs._speedups.kernelerrors import PayloadError as PayloadError
from txsockjs._speedups.sockjsframes_py import decode_messages as decode_messages
from txsockjs._speedups.sockjsframes_py import encode_messages as encode_messages
from txsockjs._speedups.sockjsframes_py import quote as quote
from txsockjs._speedups.sockjsframes_py import wrap_eventsource as wrap_eventsource
from txsockjs._speedups.sockjsframes_py import wrap_htmlfile as wrap_htmlfile
from txsockjs._speedups.sockjsframes_py import wrap_jsonp as wrap_jsonp
