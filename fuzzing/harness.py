"""What every harness shares: the kernels to fuzz, outcomes to compare, the atheris main.

Each ``fuzz_*.py`` beside this file defines ``test_one_input(data)`` and calls
:func:`main`.  The input is mostly raw protocol bytes (a few leading control bytes at
most), so the seeds made by ``seeds.py`` from the test suites mean something to it.

Kernels: with ``FUZZ_SANITIZED=<dir>`` (fuzzing/run.sh sets it to the output of
build_sanitized.sh) the compiled modules are the ASan+UBSan build in that directory;
otherwise the editable install's.  ``FUZZ_SANITIZED`` set but unusable is an error, so a
sanitizer run can never silently fuzz the plain build.
"""

import importlib.util
import os
import sys

import atheris

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _use_sanitized_kernels(directory):
    """Import txsockjs._speedups with ``directory``'s kernels ahead of the installed ones.

    The package's own __init__ picks the compiled modules at import time, so the search
    path must be changed before it runs: the package is built from its spec here with the
    sanitized directory first in ``__path__``.
    """
    kernels = os.path.join(directory, "txsockjs", "_speedups")
    if not os.path.isdir(kernels):
        raise SystemExit("FUZZ_SANITIZED=%s holds no txsockjs/_speedups (run "
                         "fuzzing/build_sanitized.sh)" % directory)
    if "txsockjs._speedups" in sys.modules:
        raise SystemExit("txsockjs._speedups was imported before the sanitized kernels")
    import txsockjs  # the parent package (it does not import the kernels)
    spec = importlib.util.find_spec("txsockjs._speedups")
    spec.submodule_search_locations.insert(0, kernels)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    txsockjs._speedups = module
    spec.loader.exec_module(module)
    for name in ("_mask", "wsframes_c", "sockjsframes_c", "httphead_c", "httpreader_c",
                 "wshandshake_c", "httpresponse_c"):
        loaded = sys.modules["txsockjs._speedups." + name].__file__
        if not loaded.startswith(kernels):
            raise SystemExit("%s came from %s, not the sanitized build" % (name, loaded))


_SANITIZED = os.environ.get("FUZZ_SANITIZED")
os.environ.pop("TXSOCKJS_NO_EXTENSIONS", None)
os.environ["TXSOCKJS_REQUIRE_EXTENSIONS"] = "1"
with atheris.instrument_imports(include=["txsockjs"]):
    if _SANITIZED:
        _use_sanitized_kernels(_SANITIZED)
    sys.path.insert(0, os.path.join(ROOT, "tests", "speedups"))
    from kernel_paths import COMPILED, PURE  # noqa: E402  (the tests' two namespaces)
    import txsockjs.protocol.http  # noqa: E402,F401
    import txsockjs.protocol.websocket  # noqa: E402,F401

from txsockjs._speedups.kernelerrors import HTTPError, PayloadError, WebSocketError  # noqa: E402

assert COMPILED is not None, "the compiled kernels are not built"
PATHS = (PURE, COMPILED)
BUFFER_TYPES = (bytes, bytearray, memoryview)


class Disagreement(AssertionError):
    """The compiled kernel and its pure twin answered differently."""


def outcome(function, *args, **kwargs):
    """("ok", result) or ("error", class, details): comparable across the two paths."""
    try:
        return ("ok", function(*args, **kwargs))
    except WebSocketError as error:
        return ("error", WebSocketError, error.code, error.reason,
                getattr(error, "frames", None))
    except HTTPError as error:
        return ("error", HTTPError, error.status, error.reason)
    except PayloadError as error:
        return ("error", PayloadError, str(error))
    except (UnicodeError, ValueError, TypeError) as error:
        return ("error", type(error))


def same(what, pure, compiled):
    if pure != compiled:
        raise Disagreement("%s: pure %r != compiled %r" % (what, pure, compiled))
    return pure


def allowed(result, *errors):
    """Fail (a crash for libFuzzer) unless ``result`` is "ok" or one of ``errors``."""
    if result[0] == "error" and result[1] not in errors:
        raise AssertionError("undocumented error %r" % (result,))
    return result


def as_buffer(kind, data):
    return kind(data) if kind is not memoryview else memoryview(bytes(data))


def main(test_one_input):
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
