"""Our own front door: one TCP connection speaking HTTP/1.x (:mod:`.channel`), its responses
(:mod:`.response`), eager writes (:mod:`.eagerwrite`) and its WebSocket upgrade
(:mod:`.wsupgrade`)."""
