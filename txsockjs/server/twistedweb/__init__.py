"""The twisted.web front door: a twisted.web request seen through the handlers' small interface
(:mod:`.adapters`) and its WebSocket upgrade (:mod:`.wsupgrade_web`)."""
