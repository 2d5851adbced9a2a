"""Moved to :mod:`txsockjs.cli.optiontext` (this path keeps working, with a DeprecationWarning)."""

from txsockjs._exports import moved_module

__getattr__ = moved_module(__name__, "txsockjs.cli.optiontext")
