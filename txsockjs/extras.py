"""The optional extras: a module that needs one says which when it is missing."""

import contextlib
from typing import Iterator

__all__ = ["needs_extra"]


@contextlib.contextmanager
def needs_extra(extra: str, module: str) -> Iterator[None]:
    """Around the imports of an extra's packages: an ImportError there becomes one that
    names the extra to install (a bare "No module named 'txredisapi'" does not say how)."""
    try:
        yield
    except ImportError as error:
        raise ImportError("%s needs the %s extra: pip install 'txsockjs[%s]' (%s)"
                          % (module, extra, extra, error)) from error
