"""What this installation is: versions, kernel path, optional extras, front doors.

``python -m txsockjs info`` prints :func:`describe`; paste it into a bug report.
"""

import platform
import sys
import warnings
from importlib import metadata
from typing import List, Optional, Sequence, Tuple

import txsockjs

# (what it gives, the distributions it needs).  Versions are read from the
# installed metadata, so nothing here is imported.
EXTRAS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("metrics", ("prometheus_client",)),
    ("redis", ("txredisapi",)),
    ("TLS", ("service_identity", "pyOpenSSL")),
)


def installed_version(distribution: str) -> Optional[str]:
    """The installed version of ``distribution``, or None."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def describe_extra(distributions: Sequence[str]) -> str:
    found = [(name, installed_version(name)) for name in distributions]
    missing = [name for name, version in found if version is None]
    present = ", ".join("%s %s" % (name, version) for name, version in found if version)
    if not missing:
        return "yes (%s)" % present
    return "no (missing: %s%s)" % (", ".join(missing), "; have " + present if present else "")


def describe_front_doors() -> str:
    """Which front doors carry every transport in this installation."""
    # (our own WebSocket runs through twisted.web too: see server/twistedweb/takeover.py)
    return "own HTTP channel and twisted.web (SockJSResource): every transport, WebSocket included"


def describe() -> str:
    """A few ``name: value`` lines about this installation, ending in a newline."""
    with warnings.catch_warnings():
        # The report says it itself; the import-time warning would repeat it.
        warnings.simplefilter("ignore", RuntimeWarning)
        kernels = txsockjs.kernel_implementation()
    rows: List[Tuple[str, str]] = [
        ("txsockjs", "%s (%s)" % (txsockjs.__version__, txsockjs.__path__[0])),
        ("Python", "%s (%s, %s)" % (platform.python_version(),
                                    platform.python_implementation(), sys.executable)),
        ("Twisted", installed_version("Twisted") or "not installed"),
        ("ujson", installed_version("ujson") or "not installed"),
        ("kernels", "%s: %s" % (kernels.name, kernels.reason)),
    ]
    rows += [("extra " + what, describe_extra(names)) for what, names in EXTRAS]
    rows.append(("front doors", describe_front_doors()))
    width = max(len(name) for name, _ in rows) + 2
    return "".join("%s%s\n" % ((name + ":").ljust(width), value) for name, value in rows)
