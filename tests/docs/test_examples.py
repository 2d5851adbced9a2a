"""Every Python example in README.rst and docs/ runs.

Examples are the ``.. code-block:: python`` blocks.  Each runs as its own
program under ``example_harness.py`` (see there for the server convention:
written ports become free ports on 127.0.0.1, one request per port, then the
reactor stops).  A block that is deliberately a fragment (it needs a
certificate, a user's own object, ...) is preceded by a comment saying so::

    .. example-fragment: needs a certificate file

and is reported as skipped with that reason.  A block that needs an optional package
(installed by the ``docs`` extra, which the matrix legs do not install) says so::

    .. example-requires: klein

and is skipped, naming it, where that package cannot be imported.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HARNESS = pathlib.Path(__file__).with_name("example_harness.py")
DOCUMENTS = [ROOT / "README.rst"] + sorted((ROOT / "docs").rglob("*.rst"))

_DIRECTIVE = re.compile(r"^(\s*)\.\. code-block:: python\s*$")
_FRAGMENT = re.compile(r"^\s*\.\. example-fragment:\s*(.+?)\s*$")
_REQUIRES = re.compile(r"^\s*\.\. example-requires:\s*(\S+)\s*$")


def python_blocks(path):
    """(first line number, code, fragment reason or None, required module or None) for
    each python block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    for number, line in enumerate(lines):
        directive = _DIRECTIVE.match(line)
        if not directive:
            continue
        fragment = requires = None
        before = number - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        if before >= 0 and _FRAGMENT.match(lines[before]):
            fragment = _FRAGMENT.match(lines[before]).group(1)
        if before >= 0 and _REQUIRES.match(lines[before]):
            requires = _REQUIRES.match(lines[before]).group(1)
        body = number + 1
        while body < len(lines) and lines[body].strip().startswith(":"):
            body += 1  # directive options such as :caption:
        code = []
        for text in lines[body:]:
            indent = len(text) - len(text.lstrip())
            if text.strip() and indent <= len(directive.group(1)):
                break
            code.append(text)
        source = "\n".join(code).strip("\n")
        width = min(len(t) - len(t.lstrip()) for t in source.splitlines() if t.strip())
        source = "\n".join(t[width:] for t in source.splitlines()) + "\n"
        blocks.append((number + 1, source, fragment, requires))
    return blocks


def all_examples():
    for path in DOCUMENTS:
        for line, source, fragment, requires in python_blocks(path):
            name = "%s:%d" % (path.relative_to(ROOT), line)
            yield pytest.param(source, fragment, requires, id=name)


EXAMPLES = list(all_examples())


def test_the_documents_have_examples():
    # Guards the extraction: an empty list would make the test below vacuous.
    readme = [p for p in EXAMPLES if p.id.startswith("README.rst:")]
    assert readme and len(EXAMPLES) >= 5, [p.id for p in EXAMPLES]


def run_example(tmp_path, source):
    program = tmp_path / "example.py"
    program.write_text(source, encoding="utf-8")
    return subprocess.run([sys.executable, str(HARNESS), str(program)], cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("source,fragment,requires", EXAMPLES)
def test_example_runs(tmp_path, source, fragment, requires):
    if fragment:
        pytest.skip("marked as a fragment: %s" % fragment)
    if requires:
        pytest.importorskip(requires, reason="the example needs %s (the docs extra)" % requires)
    done = run_example(tmp_path, source)
    assert done.returncode == 0, "%s\n--- stdout\n%s\n--- stderr\n%s" % (
        source, done.stdout, done.stderr)


def test_the_harness_catches_a_broken_example(tmp_path):
    done = run_example(tmp_path, "from twisted.internet import reactor\n"
                                 "from txsockjs.factory import SockJSFactory\n"
                                 "reactor.listenTCP(8080, SockJSFactory(ChessFactory()))\n"
                                 "reactor.run()\n")
    assert done.returncode != 0
    assert "NameError" in done.stderr and "ChessFactory" in done.stderr


def test_the_harness_refuses_every_interface(tmp_path):
    done = run_example(tmp_path, "from twisted.internet import reactor\n"
                                 "from twisted.internet.protocol import Factory, Protocol\n"
                                 "from txsockjs.factory import SockJSFactory\n"
                                 "reactor.listenTCP(8080, SockJSFactory(Factory.forProtocol(Protocol)))\n"
                                 "reactor.run()\n")
    assert done.returncode == 1, done.stderr
    assert "not 127.0.0.1" in done.stderr
    assert "example port 8080: HTTP/1.1 200 OK" in done.stdout
