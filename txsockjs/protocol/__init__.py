"""The sans-I/O core: HTTP, routing, SockJS frames, WebSocket and sessions.

Nothing in this package imports Twisted or touches a socket; the Twisted
layer in :mod:`txsockjs.server` feeds it bytes and carries out what it says.
"""
