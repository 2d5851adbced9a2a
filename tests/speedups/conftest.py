"""Run every kernel test on both paths.

``kernels`` is parametrized over the pure-Python twins and the compiled
modules (skipped only when they are not built); ``twins`` gives both at once
for the differential tests.
"""

import pytest

from kernel_paths import COMPILED, PURE


@pytest.fixture(params=["pure", "compiled"])
def kernels(request):
    ns = PURE if request.param == "pure" else COMPILED
    if ns is None:
        pytest.skip("compiled kernels are not built")
    return ns


@pytest.fixture
def twins():
    if COMPILED is None:
        pytest.skip("compiled kernels are not built")
    return PURE, COMPILED
