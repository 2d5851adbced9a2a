"""The twisted.web front door: a twisted.web request seen through the handlers' small
interface (:mod:`.adapters`), and the connection of a WebSocket handshake taken over for our
own WebSocket (:mod:`.takeover`)."""
