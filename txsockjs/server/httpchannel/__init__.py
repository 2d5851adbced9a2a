"""Our own front door: one TCP connection speaking HTTP/1.x (:mod:`.channel`, which is
also the wire of its WebSocket, see ``server/wsbridge.py``), its responses
(:mod:`.response`) and eager writes (:mod:`.eagerwrite`)."""
