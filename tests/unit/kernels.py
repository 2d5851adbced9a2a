"""Run a core module's tests on both kernel paths."""

import importlib

import pytest


def on_both_kernels(module, name, twins):
    """A fixture that sets ``module.name`` (a kernel function or class the core imported;
    or each of several names, space-separated) to the one of each kernel in ``twins``
    (pure twin, compiled module) in turn, and returns that kernel module; the compiled
    leg is skipped when it is not built."""

    @pytest.fixture(params=twins)
    def kernel(request, monkeypatch):
        try:
            chosen = importlib.import_module("txsockjs._speedups." + request.param)
        except ImportError:
            pytest.skip("compiled kernels are not built")
        for each in name.split():
            monkeypatch.setattr(module, each, getattr(chosen, each))
        return chosen

    return kernel
