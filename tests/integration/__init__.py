"""Black-box integration tests over loopback sockets (see conftest.py)."""
