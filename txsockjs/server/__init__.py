"""The Twisted layer: sockets, timers and backpressure around the pure core."""
