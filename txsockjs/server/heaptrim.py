"""Giving the memory of released zlib streams back to the system.

A deflate stream pair is tens of KiB in many small mallocs; when the idle sweep frees
thousands of them, glibc's allocator keeps the freed pages mapped (they are inside its
heap), so the process's RSS does not go down although Python's heap did.  glibc's
``malloc_trim(0)`` returns every whole free page of the heap to the kernel.  It walks the
heap, so the sweep calls it at most once per interval and only when it freed streams.
Elsewhere than glibc (musl, macOS) there is no such call, and nothing is done.
"""

import ctypes
from typing import Any, Callable, Optional


def _malloc_trim() -> Optional[Callable[[int], Any]]:
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _malloc_trim()


def trim_heap() -> bool:
    """Return free heap pages to the system; False where the C library cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
