"""Build the optional Cython kernels; the package works without them.

Set TXSOCKJS_REQUIRE_EXTENSIONS=1 to make a failed compile an error (wheels,
CI); otherwise a failure prints a loud warning and the pure-Python twins are
installed alone.
"""

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

REQUIRE = os.environ.get("TXSOCKJS_REQUIRE_EXTENSIONS", "") not in ("", "0")
SKIP = os.environ.get("TXSOCKJS_NO_EXTENSIONS", "") not in ("", "0")

# (module, source): the *_py.py twins compile as-is with their .pxd files.
KERNELS = [
    ("txsockjs._speedups._mask", "txsockjs/_speedups/_mask.pyx"),
]


class OptionalBuildExt(build_ext):
    def run(self):
        try:
            build_ext.run(self)
        except Exception as error:
            self._give_up(error)

    def build_extension(self, ext):
        try:
            build_ext.build_extension(self, ext)
        except Exception as error:
            self._give_up(error)

    def _give_up(self, error):
        if REQUIRE:
            raise
        sys.stderr.write(
            "\n" + "*" * 72 + "\n"
            "WARNING: txsockjs could not compile its Cython kernels (%s).\n"
            "It is installed with its pure-Python twins: it works, but slower.\n"
            % (error,) + "*" * 72 + "\n\n")


def extensions():
    if SKIP:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError as error:
        if REQUIRE:
            raise
        sys.stderr.write("WARNING: Cython is not available (%s); pure-Python kernels only.\n" % error)
        return []
    from setuptools import Extension
    exts = [Extension(name, [src]) for name, src in KERNELS if os.path.exists(src)]
    return cythonize(exts, language_level=3, quiet=True)


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
