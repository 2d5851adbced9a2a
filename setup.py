"""Build the optional Cython kernels; the package works without them.

Each kernel in ``txsockjs/_speedups`` is a hand-written ``.pyx`` beside its
pure-Python twin (``*_py.py``).  Cython is a build requirement (see
pyproject.toml); the generated C is never committed.

* No working C compiler (or Cython missing): a loud warning, and the package
  is installed with the pure-Python twins alone.  ``import txsockjs._speedups``
  then warns again and reports ``IMPLEMENTATION == "pure"``.
* ``TXSOCKJS_REQUIRE_EXTENSIONS=1``: a failed compile is an error (wheels, CI).
* ``TXSOCKJS_NO_EXTENSIONS=1``: do not even try.

Every build works in a fresh temporary directory (unless ``--build-base`` is
given): a ``build/`` left in the checkout by an earlier build would otherwise
hand its compiled objects to this one, e.g. a compiled kernel into a wheel
built where no compiler is.
"""

import atexit
import os
import shutil
import sys
import tempfile

from setuptools import setup
from setuptools.command.build import build
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

REQUIRE = os.environ.get("TXSOCKJS_REQUIRE_EXTENSIONS", "") not in ("", "0")
SKIP = os.environ.get("TXSOCKJS_NO_EXTENSIONS", "") not in ("", "0")

# (module, source): hand-written Cython twins of the *_py.py modules.  deflate_c links
# against zlib (Debian: zlib1g-dev); like every kernel, it is optional.
KERNELS = [
    ("txsockjs._speedups._mask", "txsockjs/_speedups/_mask.pyx"),
    ("txsockjs._speedups.wsframes_c", "txsockjs/_speedups/wsframes_c.pyx"),
    ("txsockjs._speedups.sockjsframes_c", "txsockjs/_speedups/sockjsframes_c.pyx"),
    ("txsockjs._speedups.httphead_c", "txsockjs/_speedups/httphead_c.pyx"),
    ("txsockjs._speedups.httpreader_c", "txsockjs/_speedups/httpreader_c.pyx"),
    ("txsockjs._speedups.wshandshake_c", "txsockjs/_speedups/wshandshake_c.pyx"),
    ("txsockjs._speedups.httpresponse_c", "txsockjs/_speedups/httpresponse_c.pyx"),
    ("txsockjs._speedups.deflate_c", "txsockjs/_speedups/deflate_c.pyx"),
    ("txsockjs._speedups.sendnow_c", "txsockjs/_speedups/sendnow_c.pyx"),
]
LIBRARIES = {"txsockjs._speedups.deflate_c": ["z"]}

WARNING = (
    "\n" + "*" * 72 + "\n"
    "WARNING: txsockjs could not compile its Cython kernels:\n  %s\n"
    "It is installed with its pure-Python twins: it works, but slower.\n"
    "Install a C compiler (and Cython) and reinstall for the fast path.\n"
    + "*" * 72 + "\n\n")


_warned = []


def warn(error):
    if _warned:  # once is loud enough; the first failure says why
        return
    _warned.append(error)
    sys.stderr.write(WARNING % (error,))
    sys.stderr.flush()


class FreshBuild(build):
    def finalize_options(self):
        if self.build_base == "build":  # the default: not chosen by the user
            self.build_base = tempfile.mkdtemp(prefix="txsockjs-build-")
            atexit.register(shutil.rmtree, self.build_base, True)
        build.finalize_options(self)


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
        warn(error)


class SdistWithSources(sdist):
    """Ship the .pyx sources (cythonize() replaced them by the generated .c in
    the extensions' source lists) and never the generated C."""

    def make_release_tree(self, base_dir, files):
        generated = {src[:-4] + ".c" for _, src in KERNELS}
        files = [name for name in files if name.replace(os.sep, "/") not in generated]
        files += [src for _, src in KERNELS if os.path.exists(src) and src not in files]
        sdist.make_release_tree(self, base_dir, files)


def extensions():
    if SKIP:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError as error:
        if REQUIRE:
            raise
        warn("Cython is not available (%s)" % (error,))
        return []
    from setuptools import Extension
    exts = [Extension(name, [src], libraries=LIBRARIES.get(name, []))
            for name, src in KERNELS if os.path.exists(src)]
    return cythonize(exts, language_level=3, quiet=True)


setup(ext_modules=extensions(),
      cmdclass={"build": FreshBuild, "build_ext": OptionalBuildExt, "sdist": SdistWithSources})
