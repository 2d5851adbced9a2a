r"""Why a session ended, as the application's ``connectionLost`` hears it,
and the close codes the client sees.

===========================================  ======  =================================
what happened                                code    ``connectionLost`` reason
===========================================  ======  =================================
``transport.loseConnection()``               3000    ``ConnectionDone``
``transport.close(code, reason)``            yours   ``ConnectionDone``
the client closed (websocket close frame)    \-      ``ConnectionDone``
the application raised                       1011    ``ApplicationError``
the send buffer overflowed (``"close"``)     1013    ``SendBufferOverflow``
the server drains or stops                   1001    ``ServerShuttingDown``
no receiving request within ``timeout``      \-      ``ConnectionLost``
the network dropped a receiving request      1002    ``ConnectionLost``
===========================================  ======  =================================
"""

from typing import Tuple

from twisted.internet.error import ConnectionLost

from txsockjs.protocol.sendbuffer import OVERFLOW_CLOSE

__all__ = ["APP_ERROR", "GO_AWAY", "SEND_OVERFLOW", "SHUTTING_DOWN", "ApplicationError",
           "SendBufferOverflow", "ServerShuttingDown"]

GO_AWAY: Tuple[int, str] = (3000, "Go away!")
APP_ERROR: Tuple[int, str] = (1011, "Internal server error")
SEND_OVERFLOW: Tuple[int, str] = OVERFLOW_CLOSE
SHUTTING_DOWN: Tuple[int, str] = (1001, "Server shutting down")


class SendBufferOverflow(ConnectionLost):
    """The client read too slowly: more than ``send_buffer_limit`` bytes
    waited for it, and ``send_overflow`` is ``"close"``."""


class ServerShuttingDown(ConnectionLost):
    """The server drained or stopped."""


class ApplicationError(ConnectionLost):
    """The application raised; the session was closed with 1011."""
