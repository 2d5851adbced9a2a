"""One HTTP response on a channel: complete or streaming, keep-alive or not.

:class:`Response` is a kernel (``txsockjs._speedups``: compiled, or its pure-Python
twin in ``httpresponse_py``), made for every request the channel reads.
"""

from txsockjs._speedups import Response

__all__ = ["Response"]
