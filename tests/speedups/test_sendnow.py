"""send_now: one non-blocking write to a socket's descriptor, on both paths."""

import socket

import pytest


@pytest.fixture
def pair():
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    yield ours, peer
    ours.close()
    peer.close()


def received(peer, count):
    data = b""
    while len(data) < count:
        data += peer.recv(count - len(data))
    return data


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_every_buffer_type_goes_out_whole(kernels, pair, kind):
    ours, peer = pair
    data = bytes(range(256)) * 3
    assert kernels.send_now(ours.fileno(), kind(data)) == len(data)
    assert received(peer, len(data)) == data


def test_a_memoryview_slice_sends_that_slice(kernels, pair):
    ours, peer = pair
    assert kernels.send_now(ours.fileno(), memoryview(b"abcdef")[2:5]) == 3
    assert received(peer, 3) == b"cde"


def test_a_full_socket_takes_part_then_nothing(kernels, pair):
    ours, peer = pair
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    chunk = b"x" * 65536
    total = 0
    while True:
        sent = kernels.send_now(ours.fileno(), chunk)
        assert 0 <= sent <= len(chunk)
        if sent == 0:
            break
        total += sent
    # full: nothing more goes, and what went is what the peer reads, in order
    assert kernels.send_now(ours.fileno(), b"y") == 0
    assert received(peer, total) == b"x" * total


def test_a_connection_the_peer_closed_is_an_error_told_as_zero(kernels, pair):
    ours, peer = pair
    peer.close()
    # (the first write may still be taken by the kernel; then EPIPE, and no SIGPIPE kills us)
    results = [kernels.send_now(ours.fileno(), b"z" * 1000) for _ in range(3)]
    assert results[-1] == 0


def test_a_closed_descriptor_is_an_error_told_as_zero(kernels):
    ours, peer = socket.socketpair()
    fd = ours.fileno()
    ours.close()
    peer.close()
    assert kernels.send_now(fd, b"z") == 0


def test_a_str_is_refused(kernels, pair):
    ours, peer = pair
    with pytest.raises(TypeError):
        kernels.send_now(ours.fileno(), "text")  # type: ignore[arg-type]
