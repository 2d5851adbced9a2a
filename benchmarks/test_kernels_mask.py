"""Masking: txsockjs compiled and pure vs aiohttp, websockets, int.from_bytes."""

import sys

import pytest

from conftest import load_compiled, record
from txsockjs._speedups import mask_py

COMPILED = load_compiled()
SIZES = {"16B": 16, "125B": 125, "1KiB": 1024, "64KiB": 65536, "1MiB": 1 << 20}
MASK = b"\x37\xfa\x21\x3d"


def from_bytes_xor(data, mask):
    """The textbook pure-Python mask (websockets' fallback)."""
    data_int = int.from_bytes(data, sys.byteorder)
    mask_repeated = mask * (len(data) // 4) + mask[: len(data) % 4]
    mask_int = int.from_bytes(mask_repeated, sys.byteorder)
    return (data_int ^ mask_int).to_bytes(len(data), sys.byteorder)


def impls():
    out = {}
    if COMPILED:
        out["txsockjs-compiled-inplace"] = lambda buf: COMPILED[0].websocket_mask_inplace(MASK, buf)
        out["txsockjs-compiled-copy"] = lambda buf: COMPILED[0].websocket_mask(MASK, buf)
    out["txsockjs-pure-inplace"] = lambda buf: mask_py.websocket_mask_inplace(MASK, buf)
    out["txsockjs-pure-copy"] = lambda buf: mask_py.websocket_mask(MASK, buf)
    try:
        from aiohttp._websocket.mask import _websocket_mask_cython
        out["aiohttp-cython-inplace"] = lambda buf: _websocket_mask_cython(MASK, buf)
    except ImportError:
        pass
    try:
        from websockets.speedups import apply_mask
        out["websockets-c-copy"] = lambda buf: apply_mask(buf, MASK)
    except ImportError:
        pass
    out["int.from_bytes-copy"] = lambda buf: from_bytes_xor(buf, MASK)
    return out


IMPLS = impls()
GOALS = {
    "txsockjs-compiled-inplace": [("aiohttp-cython-inplace", 1.0)],
    "txsockjs-compiled-copy": [("websockets-c-copy", 1.0)],
    "txsockjs-pure-copy": [("int.from_bytes-copy", 1.0)],
}


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("impl", list(IMPLS))
def test_mask(benchmark, impl, size):
    n = SIZES[size]
    buf = bytearray((i * 7) & 0xFF for i in range(n))
    record(benchmark, "mask %s" % size, impl, n, "bytes", GOALS.get(impl, ()))
    benchmark(IMPLS[impl], buf)
