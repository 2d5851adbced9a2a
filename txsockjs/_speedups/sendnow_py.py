"""One non-blocking write of bytes to a connected socket's file descriptor.

The eager-write path (server/httpchannel/eagerwrite.py) sends each frame at once when
Twisted holds nothing for the connection.  ``socket.send`` costs more than the frame's
own work there: its arguments parsed as a tuple, the GIL released and taken back around
a call that cannot block.  The compiled twin (``sendnow_c.pyx``) calls ``send()`` with
``MSG_DONTWAIT | MSG_NOSIGNAL`` and holds the GIL; this twin is ``os.write``.

The caller owns the descriptor's validity: it must be an open, non-blocking socket of the
connection being written (eagerwrite.py checks the connection is still up first).
"""

import os
from typing import Union


def send_now(fd: int, data: Union[bytes, bytearray, memoryview]) -> int:
    """How many bytes of ``data`` the kernel took now: 0 when it takes none (the socket
    is full) or on an error (the connection broke: whoever writes the rest meets it)."""
    try:
        return os.write(fd, data)
    except OSError:
        return 0
