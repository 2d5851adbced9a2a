"""pyproject.toml's filterwarnings: a DeprecationWarning from txsockjs's code fails."""

import warnings

import pytest


def test_a_deprecation_in_txsockjs_code_is_an_error():
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("going away", DeprecationWarning, "factory.py", 1,
                               module="txsockjs.factory")


def test_a_deprecation_elsewhere_is_only_a_warning():
    with pytest.warns(DeprecationWarning):
        warnings.warn_explicit("going away", DeprecationWarning, "other.py", 1,
                               module="othermodule")
