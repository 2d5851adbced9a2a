"""A module that needs an extra says which one when the extra is missing (a plain
``pip install txsockjs`` has neither prometheus-client nor txredisapi)."""

import importlib
import sys

import pytest


@pytest.mark.parametrize("module, package, extra", [
    ("txsockjs.metrics", "prometheus_client", "metrics"),
    ("txsockjs.redisbroker", "txredisapi", "redis"),
])
def test_a_missing_extra_is_named(monkeypatch, module, package, extra):
    monkeypatch.setitem(sys.modules, package, None)   # not installed
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError) as raised:
        importlib.import_module(module)
    message = str(raised.value)
    assert message.startswith("%s needs the %s extra: pip install 'txsockjs[%s]'"
                              % (module, extra, extra)), message
    assert package in message   # (the import that failed, for whoever debugs it)


@pytest.mark.parametrize("module", ["txsockjs.metrics", "txsockjs.redisbroker"])
def test_with_the_extra_the_module_imports(module):
    assert importlib.import_module(module).__name__ == module
