"""The two kernel paths as namespaces (shared by conftest.py and the tests)."""

import importlib
import types

_MODULES = {
    "pure": ("mask_py", "wsframes_py", "sockjsframes_py", "httphead_py", "httpreader_py",
             "sendnow_py", "wshandshake_py", "httpresponse_py"),
    "compiled": ("_mask", "wsframes_c", "sockjsframes_c", "httphead_c", "httpreader_c", "sendnow_c",
                 "wshandshake_c", "httpresponse_c"),
}

_NAMES = (
    "websocket_mask", "websocket_mask_inplace", "FrameParser", "build_frame",
    "quote", "encode_messages",
    "wrap_eventsource", "wrap_htmlfile", "wrap_jsonp", "decode_messages",
    "parse_request_head", "find_head_end", "Request", "RequestReader", "send_now",
    "accept_key", "valid_key", "connection_upgrades", "upgrade_refusal", "rfc6455_accept",
    "Response", "head_lines", "response_head", "chunk", "LAST_CHUNK",
)


def load(path):
    """A namespace with the kernel API of one path, or None if not built."""
    ns = types.SimpleNamespace(path=path)
    try:
        modules = [importlib.import_module("txsockjs._speedups." + name)
                   for name in _MODULES[path]]
    except ImportError:
        return None
    for name in _NAMES:
        for module in modules:
            if hasattr(module, name):
                setattr(ns, name, getattr(module, name))
                break
        else:
            raise AssertionError("%s path lacks %s" % (path, name))
    return ns


PURE = load("pure")
COMPILED = load("compiled")




def twins(name):
    """The pure and compiled classes ``name`` of the deflate kernel (compiled: None if not
    built), the two as pytest params, and a mark that skips without the compiled one."""
    import pytest

    def one(module):
        try:
            return getattr(importlib.import_module("txsockjs._speedups." + module), name)
        except ImportError:
            return None

    pure, compiled = one("deflate_py"), one("deflate_c")
    missing = pytest.mark.skipif(compiled is None, reason="the deflate kernel is not built")
    return pure, compiled, [pytest.param(pure, id="pure"),
                            pytest.param(compiled, id="compiled", marks=missing)], missing
