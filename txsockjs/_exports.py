"""Names a module offers without importing them up front: a package's public names
(imported when first used, so that ``import txsockjs`` stays cheap and an extra is
needed only by the name that uses it) and old module paths that moved (they keep
working, with a DeprecationWarning that names the new place)."""

import importlib
import warnings
from typing import Any, Callable, Dict


def lazy_names(owner: str, where: Dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` giving ``name`` from module ``where[name]``."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError("module %r has no attribute %r" % (owner, name))
        return getattr(importlib.import_module(module), name)

    return __getattr__


def moved_module(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for a module that moved from ``old`` to ``new``:
    every name still works, with a DeprecationWarning pointing at the caller."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # (module machinery probing, not a user)
        value = getattr(importlib.import_module(new), name)
        warnings.warn("%s moved to %s: import %s from there"
                      % (old, new, name), DeprecationWarning, stacklevel=2)
        return value

    return __getattr__
